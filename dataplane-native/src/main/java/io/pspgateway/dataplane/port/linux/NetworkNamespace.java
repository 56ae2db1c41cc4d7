package io.pspgateway.dataplane.port.linux;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Opens ports inside a named network namespace ({@code ip netns add NAME}) without moving the
 * process: a throw-away thread joins the namespace with {@code setns(2)}, opens what it is given
 * to open, and ends. Sockets and TUN devices stay in the namespace they were created in, whichever
 * thread uses them afterwards.
 */
public final class NetworkNamespace {
    private final String name;
    private final Path path;

    private NetworkNamespace(String name) {
        this.name = name;
        this.path = Path.of("/var/run/netns", name);
    }

    /** The namespace {@code ip netns} knows as {@code name}. */
    public static NetworkNamespace named(String name) throws IOException {
        NetworkNamespace ns = new NetworkNamespace(name);
        if (!Files.exists(ns.path)) {
            throw new IOException("no network namespace '" + name + "' (" + ns.path + " does not exist)");
        }
        return ns;
    }

    /** Runs {@code action} on a thread inside this namespace and returns its result. */
    public <T> T call(Callable<T> action) throws IOException {
        AtomicReference<T> result = new AtomicReference<>();
        AtomicReference<Exception> failure = new AtomicReference<>();
        Thread t = Thread.ofPlatform().name("netns-" + name).unstarted(() -> {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment state = Libc.callState(arena);
                int fd = Libc.open(state, arena.allocateFrom(path.toString()), Libc.O_RDONLY | Libc.O_CLOEXEC);
                try {
                    Libc.setns(state, fd, Libc.CLONE_NEWNET);
                } finally {
                    Libc.close(state, fd);
                }
                result.set(action.call());
            } catch (Exception e) {
                failure.set(e);
            }
        });
        t.start();
        try {
            t.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while opening ports in namespace " + name, e);
        }
        if (failure.get() != null) {
            Exception e = failure.get();
            throw e instanceof IOException io ? io : new IOException("in namespace " + name + ": " + e.getMessage(), e);
        }
        return result.get();
    }
}
