package dev.lote.dist;

import java.util.Map;

/**
 * Which process of a data-parallel run this is: its rank among {@code size} processes and where rank 0 listens.
 * Comes from flags, or from the variables torchrun sets ({@code WORLD_SIZE}, {@code RANK}, {@code MASTER_ADDR},
 * {@code MASTER_PORT}); flags win.
 */
public record World(int rank, int size, String masterHost, int masterPort) {
    public static final World ALONE = new World(0, 1, null, 0);

    public boolean distributed() { return size > 1; }

    /** The run's world from flags (null when not given) and the environment; a wrong value is an IllegalArgumentException. */
    public static World resolve(Integer sizeFlag, Integer rankFlag, String masterFlag, Map<String, String> env) {
        int size = sizeFlag != null ? sizeFlag : number(env, "WORLD_SIZE", 1);
        int rank = rankFlag != null ? rankFlag : number(env, "RANK", 0);
        if (size < 1) throw new IllegalArgumentException("--world-size must be at least 1, got " + size + ".");
        if (rank < 0 || rank >= size) throw new IllegalArgumentException("--rank must be 0 to " + (size - 1) + " in a world of "
                + size + ", got " + rank + ".");
        if (size == 1) return ALONE;
        String host;
        int port;
        if (masterFlag != null) {
            int colon = masterFlag.lastIndexOf(':');
            if (colon <= 0) throw new IllegalArgumentException("--master expects HOST:PORT, got '" + masterFlag + "'.");
            host = masterFlag.substring(0, colon).replaceAll("^\\[|]$", "");
            port = port(masterFlag.substring(colon + 1), "--master");
        } else {
            host = env.get("MASTER_ADDR");
            String p = env.get("MASTER_PORT");
            if (host == null || p == null) throw new IllegalArgumentException("A world of " + size + " processes needs rank 0's "
                    + "address: --master HOST:PORT, or MASTER_ADDR and MASTER_PORT.");
            port = port(p, "MASTER_PORT");
        }
        return new World(rank, size, host, port);
    }

    private static int number(Map<String, String> env, String name, int fallback) {
        String v = env.get(name);
        if (v == null || v.isBlank()) return fallback;
        try {
            return Integer.parseInt(v.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + " must be a whole number, got '" + v + "'.");
        }
    }

    private static int port(String v, String what) {
        try {
            int p = Integer.parseInt(v.trim());
            if (p > 0 && p < 65536) return p;
        } catch (NumberFormatException ignored) { /* the message below */ }
        throw new IllegalArgumentException(what + " needs a port from 1 to 65535, got '" + v + "'.");
    }
}
