package dev.lote;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lote.testing.Project;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * lote-core is the library a Java service embeds: no HTTP server, no command line, no browser driver comes with it;
 * and no package of the three modules depends on one that depends on it.
 */
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

    /** Each package may depend on others only one way (a cycle means two packages are one job split in two). */
    @Test
    void noPackageDependsOnOneThatDependsOnIt() throws Exception {
        Map<String, Set<String>> uses = new TreeMap<>();
        Pattern named = Pattern.compile("\\b(dev\\.lote(?:\\.[a-z]+)*)\\.[A-Z]");
        for (String module : List.of("lote-core", "lote-serve", "lote-cli")) {
            Path root = Project.root().resolve(module + "/src/main/java");
            try (Stream<Path> files = Files.walk(root)) {
                for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
                    String pkg = root.relativize(f.getParent()).toString().replace(File.separatorChar, '.');
                    Matcher m = named.matcher(Files.readString(f));
                    while (m.find()) if (!m.group(1).equals(pkg)) uses.computeIfAbsent(pkg, k -> new TreeSet<>()).add(m.group(1));
                }
            }
        }
        assertTrue(uses.size() > 10, "packages found: " + uses.keySet());
        List<String> cycles = new ArrayList<>();
        uses.forEach((a, bs) -> { for (String b : bs) if (reaches(uses, b, a)) cycles.add(a + " -> " + b + " -> ... -> " + a); });
        assertEquals(List.of(), cycles);
    }

    private static boolean reaches(Map<String, Set<String>> uses, String from, String to) {
        Set<String> seen = new TreeSet<>();
        Deque<String> todo = new ArrayDeque<>(List.of(from));
        while (!todo.isEmpty()) {
            String p = todo.pop();
            if (p.equals(to)) return true;
            if (seen.add(p)) todo.addAll(uses.getOrDefault(p, Set.of()));
        }
        return false;
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
