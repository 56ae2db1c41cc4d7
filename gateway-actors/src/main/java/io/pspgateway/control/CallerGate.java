package io.pspgateway.control;

import io.grpc.Status;
import io.pspgateway.proto.doca.KeyRotationRequest;
import io.pspgateway.proto.doca.KeyRotationResponse;
import io.pspgateway.proto.doca.MultiTunnelRequest;
import io.pspgateway.proto.doca.MultiTunnelResponse;
import io.pspgateway.proto.doca.PSP_Gateway;
import io.pspgateway.proto.doca.PSP_GatewayHandlerFactory;
import io.pspgateway.proto.keys.GatewayKeys;
import io.pspgateway.proto.keys.GatewayKeysHandlerFactory;
import io.pspgateway.proto.keys.KeysRotatedRequest;
import io.pspgateway.proto.keys.KeysRotatedResponse;
import io.pspgateway.psp.IpText;
import io.pspgateway.tls.GrpcTls;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.EnumMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.function.Function;
import java.util.function.Supplier;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.grpc.GrpcServiceException;
import org.apache.pekko.grpc.javadsl.ServiceHandler;
import org.apache.pekko.http.javadsl.model.AttributeKeys;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.RemoteAddress;
import org.apache.pekko.http.javadsl.model.RequestEntity;
import org.apache.pekko.http.javadsl.model.SslSessionInfo;

/**
 * Where identity enters: the gRPC service as each caller may use it. It identifies the caller by
 * what its connection proves — its certificate's SANs over mutual TLS, its source address in
 * plaintext interop mode — never by anything the caller sends (headers included), asks the
 * current {@link Authorizer} which peer that is, and hands the request to the services bound to
 * that peer: the DOCA contract's ({@link TunnelService} checks each VIP it claims) and the
 * project's own ({@link KeysService}). A caller that is nobody gets UNAUTHENTICATED (no
 * certificate) or PERMISSION_DENIED from services that do nothing; every refusal is counted and
 * logged ({@link Denials}).
 *
 * <p>The request attributes it reads exist only with {@code pekko.http.server.remote-address-attribute}
 * and {@code pekko.http.server.parsing.ssl-session-attribute} on, which {@link GatewayNode} sets.
 */
final class CallerGate implements org.apache.pekko.japi.function.Function<HttpRequest, CompletionStage<HttpResponse>> {

    private final boolean plaintext;
    private final long maxMessageBytes;
    private final Supplier<Authorizer> authorizer;
    private final Denials denials;
    private final Function<String, Handler> servicesFor;
    private final ConcurrentMap<String, Handler> handlers = new ConcurrentHashMap<>();
    private final Map<Authorizer.Denial, Handler> refusals = new EnumMap<>(Authorizer.Denial.class);

    /** What serves the requests of one caller: every gRPC service of the gateway, bound to it. */
    interface Handler extends org.apache.pekko.japi.function.Function<HttpRequest, CompletionStage<HttpResponse>> {
    }

    /** Both services of a gateway in one handler (an unknown path answers 404). */
    static Handler services(PSP_Gateway tunnels, GatewayKeys keys, ActorSystem<?> system) {
        return ServiceHandler.concatOrNotFound(PSP_GatewayHandlerFactory.create(tunnels, system),
                GatewayKeysHandlerFactory.create(keys, system))::apply;
    }

    /**
     * {@code servicesFor}: the services bound to the principal of that name; {@code plaintext}: callers
     * are identified by source address (the interop mode), else by certificate.
     */
    CallerGate(boolean plaintext, long maxMessageBytes, Supplier<Authorizer> authorizer, Denials denials, ActorSystem<?> system,
               Function<String, Handler> servicesFor) {
        this.plaintext = plaintext;
        this.maxMessageBytes = maxMessageBytes;
        this.authorizer = authorizer;
        this.denials = denials;
        this.servicesFor = servicesFor;
        Refused noCertificate = new Refused(Status.UNAUTHENTICATED.withDescription("no client certificate: present one issued by this gateway's CA"));
        refusals.put(Authorizer.Denial.NO_CERTIFICATE, services(noCertificate, noCertificate, system));
        Refused nobody = new Refused(Status.PERMISSION_DENIED.withDescription("not a peer of this gateway"));
        refusals.put(Authorizer.Denial.UNKNOWN_CALLER, services(nobody, nobody, system));
    }

    @Override
    public CompletionStage<HttpResponse> apply(HttpRequest received) throws Exception {
        // the body is refused past the size limit as it streams in, whatever frame length the caller announces
        HttpRequest request = received.withEntity((RequestEntity) received.entity().withSizeLimit(maxMessageBytes));
        Optional<Authorizer.Caller> caller = plaintext ? fromAddress(request) : certified(request);
        if (caller.isEmpty()) {
            return refuse(plaintext ? Authorizer.Denial.UNKNOWN_CALLER : Authorizer.Denial.NO_CERTIFICATE, "a caller", request);
        }
        Optional<Authorizer.Principal> principal = authorizer.get().identify(caller.get());
        if (principal.isEmpty()) {
            return refuse(Authorizer.Denial.UNKNOWN_CALLER, describe(caller.get()), request);
        }
        return handlers.computeIfAbsent(principal.get().name(), servicesFor).apply(request);
    }

    private CompletionStage<HttpResponse> refuse(Authorizer.Denial why, String who, HttpRequest request) throws Exception {
        denials.record(why, who + (why == Authorizer.Denial.NO_CERTIFICATE ? " without a certificate" : " that is no peer"));
        return refusals.get(why).apply(request);
    }

    private static Optional<Authorizer.Caller> fromAddress(HttpRequest request) {
        return request.getAttribute(AttributeKeys.remoteAddress).flatMap(RemoteAddress::getAddress)
                .map(Authorizer.FromAddress::new);
    }

    private static Optional<Authorizer.Caller> certified(HttpRequest request) {
        Optional<SSLSession> session = request.getAttribute(AttributeKeys.sslSession).map(SslSessionInfo::getSession);
        if (session.isEmpty()) {
            return Optional.empty();
        }
        Certificate[] chain;
        try {
            chain = session.get().getPeerCertificates();
        } catch (SSLPeerUnverifiedException none) {
            return Optional.empty();
        }
        if (chain.length == 0 || !(chain[0] instanceof X509Certificate leaf)) {
            return Optional.empty();
        }
        return Optional.of(new Authorizer.Certified(GrpcTls.ipAddresses(leaf), GrpcTls.dnsNames(leaf)));
    }

    private static String describe(Authorizer.Caller caller) {
        return switch (caller) {
            case Authorizer.Certified c -> "a certificate for " + c.dnsSans() + " " + c.ipSans().stream().map(IpText::of).toList();
            case Authorizer.FromAddress a -> "a caller from " + IpText.of(a.source());
        };
    }

    /** Services that refuse every call with one status, doing nothing. */
    private record Refused(Status status) implements PSP_Gateway, GatewayKeys {
        @Override
        public CompletionStage<KeysRotatedResponse> keysRotated(KeysRotatedRequest in) {
            return CompletableFuture.failedFuture(new GrpcServiceException(status));
        }

        @Override
        public CompletionStage<MultiTunnelResponse> requestMultipleTunnelParams(MultiTunnelRequest in) {
            return CompletableFuture.failedFuture(new GrpcServiceException(status));
        }

        @Override
        public CompletionStage<KeyRotationResponse> requestKeyRotation(KeyRotationRequest in) {
            return CompletableFuture.failedFuture(new GrpcServiceException(status));
        }
    }
}
