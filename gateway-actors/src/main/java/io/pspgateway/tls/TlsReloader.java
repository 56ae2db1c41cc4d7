package io.pspgateway.tls;

import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileSystems;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashSet;
import java.util.Optional;
import java.util.function.Function;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Gives a running gateway new TLS material without a restart: reads the files of
 * {@code --tls-ca/--tls-cert/--tls-key} again when they change (it watches their directories:
 * a Kubernetes secret mount swaps a symlink there, which touches no file itself) and on SIGHUP.
 * New gRPC and cluster connections use the new material; established ones, and the tunnels, go
 * on. Material that fails the start-up checks, or no longer names the gateway's id, is refused
 * and the old one kept, with the reason logged. A certificate that expires within a week is
 * warned of at each reading and once a day.
 */
public final class TlsReloader implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(TlsReloader.class);
    /** How far ahead an expiry is warned of. */
    static final Duration EXPIRY_WARNING = Duration.ofDays(7);
    /** Files of one update arrive one by one: wait this long after the last change before reading. */
    private static final Duration SETTLE = Duration.ofMillis(300);

    private final GrpcTls tls;
    private final Function<X509Certificate, Optional<String>> acceptable;
    private final Optional<WatchService> watcher;
    private final Thread thread;
    private Instant lastExpiryWarning = Instant.EPOCH;

    /** What a reading of the files came to. */
    public enum Outcome { REPLACED, UNCHANGED, REFUSED }

    private TlsReloader(GrpcTls tls, Function<X509Certificate, Optional<String>> acceptable, Optional<WatchService> watcher) {
        this.tls = tls;
        this.acceptable = acceptable;
        this.watcher = watcher;
        this.thread = Thread.ofPlatform().daemon(true).name("pspgw-tls-reloader").unstarted(this::watch);
    }

    /**
     * Starts reloading {@code tls} (read from files), watching the files when {@code watchFiles};
     * {@code acceptable}: why a new certificate would not do for this gateway (a clustered one's
     * id and prefixes), or empty.
     */
    public static TlsReloader start(GrpcTls tls, Function<X509Certificate, Optional<String>> acceptable, boolean watchFiles) throws IOException {
        GrpcTls.Sources files = tls.sources().orElseThrow(
                () -> new IllegalArgumentException("TLS material given in memory has no files to reload"));
        Optional<WatchService> watcher = Optional.empty();
        if (watchFiles) {
            WatchService service = FileSystems.getDefault().newWatchService();
            Set<Path> directories = new LinkedHashSet<>();
            for (Path file : new Path[] {files.ca(), files.cert(), files.key()}) {
                directories.add(file.toAbsolutePath().getParent());
            }
            for (Path directory : directories) {
                directory.register(service, StandardWatchEventKinds.ENTRY_CREATE, StandardWatchEventKinds.ENTRY_MODIFY,
                        StandardWatchEventKinds.ENTRY_DELETE);
            }
            watcher = Optional.of(service);
        }
        TlsReloader reloader = new TlsReloader(tls, acceptable, watcher);
        reloader.warnIfExpiring(tls.certificate(), Instant.now());
        reloader.thread.start();
        return reloader;
    }

    /** Reloads on SIGHUP from now on (instead of the JVM's default, which is to exit). */
    public void reloadOnSighup() {
        sun.misc.Signal.handle(new sun.misc.Signal("HUP"), signal -> reloadNow("SIGHUP"));
    }

    /** Reads the files now, {@code why} for the log. */
    public synchronized Outcome reloadNow(String why) {
        X509Certificate before = tls.certificate();
        X509Certificate now;
        try {
            now = tls.reload(acceptable);
        } catch (GrpcTls.TlsException e) {
            log.error("TLS material not reloaded ({}): {}; still using the certificate with serial {}", why, e.getMessage(),
                    before.getSerialNumber().toString(16));
            return Outcome.REFUSED;
        }
        warnIfExpiring(now, Instant.now());
        if (now.equals(before)) {
            log.debug("TLS material read again ({}): unchanged", why);
            return Outcome.UNCHANGED;
        }
        log.info("TLS material reloaded ({}): certificate serial {} (was {}), valid until {}; new connections use it", why,
                now.getSerialNumber().toString(16), before.getSerialNumber().toString(16), now.getNotAfter().toInstant());
        return Outcome.REPLACED;
    }

    /** The warning for {@code certificate} at {@code now}, when it expires within {@link #EXPIRY_WARNING}. */
    static Optional<String> expiryWarning(X509Certificate certificate, Instant now) {
        Instant notAfter = certificate.getNotAfter().toInstant();
        if (notAfter.isAfter(now.plus(EXPIRY_WARNING))) {
            return Optional.empty();
        }
        String when = notAfter.isAfter(now) ? "expires at " + notAfter + " (in " + Duration.between(now, notAfter).toHours() + " h)"
                : "expired at " + notAfter;
        return Optional.of("the gateway's TLS certificate (serial " + certificate.getSerialNumber().toString(16) + ") " + when
                + ": issue a new one (pspgw certs issue) and put it in place; it is picked up without a restart");
    }

    private synchronized void warnIfExpiring(X509Certificate certificate, Instant now) {
        Optional<String> warning = expiryWarning(certificate, now);
        if (warning.isPresent() && Duration.between(lastExpiryWarning, now).compareTo(Duration.ofDays(1)) >= 0) {
            log.warn(warning.get());
            lastExpiryWarning = now;
        }
    }

    private void watch() {
        try {
            while (true) {
                WatchKey key = watcher.isPresent() ? watcher.get().poll(1, TimeUnit.HOURS) : null;
                if (key == null) {
                    if (watcher.isEmpty()) {
                        Thread.sleep(Duration.ofHours(1));
                    }
                    warnIfExpiring(tls.certificate(), Instant.now());
                    continue;
                }
                // let the rest of the update land, then read once for all of it
                do {
                    key.pollEvents();
                    key.reset();
                } while ((key = watcher.get().poll(SETTLE.toMillis(), TimeUnit.MILLISECONDS)) != null);
                reloadNow("the files changed");
            }
        } catch (InterruptedException | ClosedWatchServiceException stopped) {
            // closed
        }
    }

    @Override
    public void close() throws IOException {
        thread.interrupt();
        if (watcher.isPresent()) {
            watcher.get().close();
        }
    }
}
