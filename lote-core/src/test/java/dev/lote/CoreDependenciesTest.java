package dev.lote;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** lote-core is the library a Java service embeds: no HTTP server, no command line, no browser driver comes with it. */
class CoreDependenciesTest {
    @Test
    void theLibrarysClassPathHasNoServerCliOrBrowserJars() {
        List<String> jars = Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
                .map(p -> new File(p).getName()).toList();
        assertTrue(jars.stream().anyMatch(j -> j.startsWith("pytorch-")), "the class path is not lote-core's: " + jars);
        List<String> banned = jars.stream().filter(j -> j.startsWith("javalin") || j.startsWith("jetty") || j.startsWith("picocli")
                || j.startsWith("selenium") || j.startsWith("lote-serve") || j.startsWith("lote-cli")).toList();
        assertEquals(List.of(), banned);
    }

    @Test
    void noCoreClassNamesTheServerOrTheCli() throws Exception {
        for (String name : List.of("dev.lote.serve.Server", "dev.lote.cli.Main", "dev.lote.bench.Rss", "io.javalin.Javalin", "picocli.CommandLine")) {
            assertTrue(isMissing(name), name + " is reachable from lote-core");
        }
    }

    private static boolean isMissing(String className) {
        try {
            Class.forName(className, false, CoreDependenciesTest.class.getClassLoader());
            return false;
        } catch (ClassNotFoundException e) {
            return true;
        }
    }
}
