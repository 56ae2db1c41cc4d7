package io.pspgateway.cluster;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.pspgateway.tls.Certificates;
import io.pspgateway.tls.GrpcTls;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Optional;

/**
 * How a gateway takes part in the cluster: its name there and the VIP prefixes it announces.
 *
 * @param gatewayId   unique name of this gateway in the cluster
 * @param vipPrefixes the VIP prefixes it serves
 */
public record ClusterMembership(String gatewayId, VipPrefixes vipPrefixes) {
    /** The ActorSystem name every member of a gateway cluster shares. */
    public static final String SYSTEM_NAME = "pspgw";

    /**
     * Why this membership cannot go with {@code certificate}, or empty when it can. Over TLS the
     * other members know a gateway by its id, which must be a DNS name of its certificate, and
     * believe only the prefixes the certificate allows (AnnouncementTrust): a gateway that would be
     * ignored is refused at start, and a renewed certificate that would make it so is not taken.
     */
    public Optional<String> refusalUnder(X509Certificate certificate) {
        List<String> names = GrpcTls.dnsNames(certificate);
        if (!names.contains(gatewayId)) {
            return Optional.of("gateway id " + gatewayId + " is not a DNS name of the certificate (its DNS names: " + names
                    + "): the other members would not know this gateway by it");
        }
        List<String> allowed = Certificates.vipPrefixes(certificate);
        return vipPrefixes.firstOutside(VipPrefixes.parse(allowed)).map(outside -> "this gateway would announce " + outside
                + ", which its certificate does not allow (it allows " + (allowed.isEmpty() ? "none" : allowed)
                + "): the other members would ignore its announcements");
    }

    /** {@code overrides}, then the cluster settings (pspgw-cluster.conf), then every reference.conf. */
    public static Config config(Config overrides) {
        return overrides.withFallback(ConfigFactory.parseResources("pspgw-cluster.conf"))
                .withFallback(ConfigFactory.load()).resolve();
    }
}
