package dev.lote.dist;

import dev.lote.torch.ProcessGroup;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * How the ranks of a data-parallel run meet: each joins the group, and before any step they check that they run the
 * same job (seed, data, batches, epochs, model, and the join secret {@code LOTE_DIST_SECRET} where one is set); a
 * rank that differs is named and every rank stops.
 */
public final class Agreement {
    private Agreement() {}

    /** What every rank must share. */
    public record Job(long seed, String dataFingerprint, int batchSize, int stepsPerEpoch, int epochsDone, int epochs, long parameters) {}

    /** Joins {@code world}'s group (ranks wait {@code timeout} for each other) and agrees on {@code job}; the caller closes the group. */
    public static ProcessGroup join(World world, Duration timeout, Job job, PrintStream out) {
        out.printf("Joining %d processes at %s:%d (batch %d per process, %d per step)%n", world.size(), world.masterHost(),
                world.masterPort(), job.batchSize(), job.batchSize() * world.size());
        ProcessGroup group = ProcessGroup.join(world.masterHost(), world.masterPort(), world.rank(), world.size(), timeout);
        try {
            group.agree(facts(job, System.getenv("LOTE_DIST_SECRET")));
            return group;
        } catch (RuntimeException e) {
            group.close();
            throw e;
        }
    }

    /** The facts compared across ranks, in the order they are checked; the secret only as its SHA-256. */
    static Map<String, String> facts(Job job, String secret) {
        Map<String, String> facts = new LinkedHashMap<>();
        facts.put("the seed", Long.toString(job.seed())); // first: a different seed also makes a different split
        facts.put("the data's fingerprint", job.dataFingerprint());
        facts.put("the batch size", Integer.toString(job.batchSize()));
        facts.put("the steps per epoch", Integer.toString(job.stepsPerEpoch()));
        facts.put("the epochs", job.epochsDone() + " done of " + job.epochs());
        facts.put("the model", job.parameters() + " parameters");
        facts.put("the join secret (LOTE_DIST_SECRET)", secret == null ? "none" : sha256(secret));
        return facts;
    }

    private static String sha256(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
