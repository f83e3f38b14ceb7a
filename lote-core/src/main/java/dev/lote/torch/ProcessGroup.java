package dev.lote.torch;

import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.javacpp.chrono.Milliseconds;
import org.bytedeco.pytorch.AllreduceCoalescedOptions;
import org.bytedeco.pytorch.BroadcastOptions;
import org.bytedeco.pytorch.GlooDeviceVector;
import org.bytedeco.pytorch.MemoryFormatOptional;
import org.bytedeco.pytorch.ProcessGroupGloo;
import org.bytedeco.pytorch.TCPStore;
import org.bytedeco.pytorch.TCPStoreOptions;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.Work;
import org.bytedeco.pytorch.global.torch;

/**
 * The processes of one data-parallel run, joined through libtorch's c10d: rank 0 hosts a {@code TCPStore} at the
 * master address, every rank meets there and Gloo connects them all to all. Collectives wait at most the
 * timeout; a rank that dies or stalls makes the others fail with {@link LostRankException} instead of hanging.
 */
public final class ProcessGroup implements AutoCloseable {
    /** A collective failed: another rank died, stalled past the timeout, or the network broke. */
    public static final class LostRankException extends RuntimeException {
        LostRankException(String message, Throwable cause) { super(message, cause); }
    }

    private final int rank, world;
    private final org.bytedeco.pytorch.Store store;
    private final ProcessGroupGloo gloo;
    private final Duration timeout;
    private long syncNanos, syncs;

    private ProcessGroup(int rank, int world, org.bytedeco.pytorch.Store store, ProcessGroupGloo gloo, Duration timeout) {
        this.rank = rank;
        this.world = world;
        this.store = store;
        this.gloo = gloo;
        this.timeout = timeout;
    }

    /**
     * Joins the run: blocks until all {@code world} ranks have arrived at {@code masterHost:masterPort} (at most
     * {@code timeout}). Gloo listens on the address this machine uses to reach the master, or on the interface
     * named by {@code GLOO_SOCKET_IFNAME}, as PyTorch does.
     */
    public static ProcessGroup join(String masterHost, int masterPort, int rank, int world, Duration timeout) {
        if (world < 1 || rank < 0 || rank >= world) throw new IllegalArgumentException("rank " + rank + " is not in a world of " + world + ".");
        Engine.start(0);
        Milliseconds ms = new Milliseconds(timeout.toMillis());
        org.bytedeco.pytorch.Store store;
        String file = System.getenv("LOTE_STORE_FILE");
        try {
            if (file != null && !file.isBlank()) { // lote launch on one machine: a file, so nothing listens on the network
                store = new org.bytedeco.pytorch.FileStore(file, world);
                store.setTimeout(ms);
            } else {
                TCPStoreOptions o = new TCPStoreOptions().port((short) masterPort).isServer(rank == 0).waitWorkers(false)
                        .useLibUV(false).timeout(ms);
                store = new TCPStore(masterHost, o);
            }
        } catch (RuntimeException e) {
            throw new LostRankException((rank == 0 ? "Rank 0 cannot listen on " : "Rank " + rank + " cannot reach the master at ")
                    + masterHost + ":" + masterPort + ": " + firstLine(e), e);
        }
        try {
            ProcessGroupGloo.Options options = ProcessGroupGloo.Options.create(ms);
            String iface = System.getenv("GLOO_SOCKET_IFNAME");
            GlooDeviceVector devices = new GlooDeviceVector();
            devices.push_back(iface != null && !iface.isBlank() ? ProcessGroupGloo.createDeviceForInterface(iface)
                    : ProcessGroupGloo.createDeviceForHostname(localAddressTowards(masterHost, masterPort)));
            options.devices(devices);
            options.threads(2);
            ProcessGroupGloo gloo = new ProcessGroupGloo(store, rank, world, options);
            return new ProcessGroup(rank, world, store, gloo, timeout);
        } catch (RuntimeException e) {
            throw new LostRankException("Rank " + rank + " could not connect to the other " + (world - 1) + " ranks within "
                    + timeout.toSeconds() + " s: " + firstLine(e), e);
        }
    }

    public int rank() { return rank; }
    public int world() { return world; }

    /** Time spent in collectives so far, and how many there were. */
    public double syncSeconds() { return syncNanos / 1e9; }
    public long syncs() { return syncs; }

    /** Sums each tensor element-wise across ranks, in place, in one coalesced collective. */
    void allReduceSum(List<Tensor> tensors) {
        if (world == 1 || tensors.isEmpty()) return;
        TensorVector v = new TensorVector(tensors.toArray(new Tensor[0]));
        await(gloo.allreduce_coalesced(v, new AllreduceCoalescedOptions()), "an all-reduce");
    }

    /** Copies {@code t} from {@code root} to every rank, in place. */
    void broadcast(Tensor t, int root) {
        if (world == 1) return;
        await(gloo.broadcast(new TensorVector(t), new BroadcastOptions().rootRank(root)), "a broadcast");
    }

    /** Sums plain numbers across ranks (metrics, counts), in double precision. */
    public double[] sum(double... values) {
        if (world == 1) return values.clone();
        try (PointerScope scope = new PointerScope()) {
            Tensor t = torch.empty(new long[] {values.length}, new TensorOptions(torch.ScalarType.Double), new MemoryFormatOptional());
            t.data_ptr_double().put(values);
            allReduceSum(List.of(t));
            double[] out = new double[values.length];
            t.contiguous().data_ptr_double().get(out);
            return out;
        }
    }

    /** Waits until every rank gets here. */
    public void barrier() {
        if (world > 1) await(gloo.barrier(), "a barrier");
    }

    private void await(Work work, String what) {
        long t0 = System.nanoTime();
        try {
            work._wait();
        } catch (RuntimeException e) {
            throw new LostRankException("Rank " + rank + " of " + world + " lost contact with the other ranks during " + what
                    + " (a rank died, stalled for over " + timeout.toSeconds() + " s, or the network failed): " + firstLine(e), e);
        } finally {
            syncNanos += System.nanoTime() - t0;
            syncs++;
        }
    }

    /** The local address of the interface that routes to the master (no packet is sent: UDP connect only picks a route). */
    static String localAddressTowards(String host, int port) {
        try {
            InetAddress master = InetAddress.getByName(host);
            if (master.isLoopbackAddress()) return master.getHostAddress();
            try (DatagramSocket s = new DatagramSocket()) {
                s.connect(new InetSocketAddress(master, port));
                return s.getLocalAddress().getHostAddress();
            }
        } catch (java.io.IOException e) {
            throw new LostRankException("Cannot find a route to the master " + host + ": " + e.getMessage(), e);
        }
    }

    /** The C++ message's first line, without the build machine's source path. */
    private static String firstLine(Throwable e) {
        String m = String.valueOf(e.getMessage()).replaceAll("\\[[^\\]]*\\.(cc|cpp|h):\\d+\\] ", "");
        int cut = m.indexOf('\n');
        return cut < 0 ? m : m.substring(0, cut);
    }

    /**
     * Checks that every rank runs the same job: each states {@code facts} (the data's fingerprint, seed, batches, …)
     * and they must equal rank 0's, else the run stops here with the difference named, instead of misaligning
     * silently or hanging until the timeout.
     */
    public void agree(java.util.Map<String, String> facts) {
        StringBuilder mine = new StringBuilder();
        facts.forEach((k, v) -> mine.append(k).append('=').append(v).append('\n'));
        store.set("lote/facts/" + rank, mine.toString());
        for (int other = 0; other < world; other++) {
            if (other == rank || (rank != 0 && other != 0)) continue; // rank 0 checks everyone, the others check rank 0
            String theirs = new String(store.get("lote/facts/" + other).get(), java.nio.charset.StandardCharsets.UTF_8);
            java.util.Map<String, String> t = new java.util.LinkedHashMap<>();
            for (String line : theirs.split("\n")) if (line.contains("=")) t.put(line.substring(0, line.indexOf('=')), line.substring(line.indexOf('=') + 1));
            for (var e : facts.entrySet()) {
                if (!e.getValue().equals(t.get(e.getKey()))) throw new IllegalArgumentException("Rank " + rank + " of " + world
                        + " and rank " + other + " disagree on " + e.getKey() + ": " + e.getValue() + " here, " + t.get(e.getKey())
                        + " there. Every rank needs the same data at the same path and the same settings.");
            }
        }
    }

    @Override public void close() {
        gloo.close();
        store.close();
    }
}
