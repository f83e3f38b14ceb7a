package dev.lote.cli;

import dev.lote.serve.Server;
import dev.lote.torch.Engine;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "serve", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Serve a model over HTTP: POST /predict (an image as the body, or multipart files) answers the top "
                + "classes as JSON; GET /model, GET /health; a page at / to try images; the report at /report.")
final class ServeCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "MODEL", description = "A .lote model file.")
    Path modelFile;

    @Option(names = "--port", defaultValue = "8080", description = "TCP port; 0 picks a free one (default: ${DEFAULT-VALUE}).")
    int port;

    @Option(names = "--host", defaultValue = "127.0.0.1",
            description = "Address to listen on; 0.0.0.0 for every interface (default: ${DEFAULT-VALUE}, this machine only).")
    String host;

    @Option(names = "--max-body-mb", defaultValue = "20", description = "Largest request body in MB; larger gets 413 (default: ${DEFAULT-VALUE}).")
    int maxBodyMb;

    @Option(names = "--max-pixels", defaultValue = "50000000", paramLabel = "N",
            description = "Refuse images whose header declares more pixels, with 413 (default: ${DEFAULT-VALUE}).")
    long maxPixels;

    @Option(names = "--top-k", defaultValue = "5", description = "Classes per answer unless the request asks ?top_k=N (default: ${DEFAULT-VALUE}).")
    int topK;

    @Option(names = "--max-batch", defaultValue = "16", description = "Most images classified in one forward pass (default: ${DEFAULT-VALUE}).")
    int maxBatch;

    @Option(names = "--queue", defaultValue = "64", description = "Images that may wait for the model; beyond, 503 (default: ${DEFAULT-VALUE}).")
    int queue;

    @picocli.CommandLine.Mixin EngineFlags engine; // --threads, --precision

    @Option(names = "--unknown-below", paramLabel = "P",
            description = "Answer \"class\": \"unknown\" when the top probability is below P (0 to 1; ?unknown_below=P per request).")
    Double unknownBelow;

    @Option(names = "--token", paramLabel = "TOKEN",
            description = "Require this token on every request but /health (Authorization: Bearer TOKEN, or ?token=TOKEN): for --host other than loopback.")
    String token;

    @Override public Integer call() throws Exception {
        if (port < 0 || port > 65535) throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--port must be 0 to 65535, got " + port + ".");
        Options.positive(spec, "--max-body-mb", maxBodyMb);
        Options.positive(spec, "--top-k", topK);
        Options.positive(spec, "--max-batch", maxBatch);
        Options.positive(spec, "--queue", queue);
        if (maxPixels <= 0) throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--max-pixels must be positive, got " + maxPixels + ".");
        engine.start(spec);
        var defaults = Server.Options.defaults();
        Server.Options options = new Server.Options(host, port, (long) maxBodyMb << 20, maxPixels, topK, maxBatch, queue, defaults.threads(), token,
                Options.probability(spec, "--unknown-below", unknownBelow));
        if (!options.loopback() && token == null) System.err.println("lote serve: warning: listening on " + host + ", so any machine "
                + "that reaches it can use it; on anything but a trusted network give --token.");
        Server server = Server.start(modelFile, options);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.close();
            stopped.countDown();
        }));
        System.out.println("Serving " + modelFile + " (" + server.classifier().classes().size() + " classes) at " + server.url()
                + (token != null ? "?token=…" : "")
                + "  — POST /predict, GET /model, GET /health; Ctrl-C stops");
        System.out.flush();
        stopped.await();
        return ExitCodes.OK;
    }
}
