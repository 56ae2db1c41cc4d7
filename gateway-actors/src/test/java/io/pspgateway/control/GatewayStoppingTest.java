package io.pspgateway.control;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Down;
import org.junit.jupiter.api.Test;

/**
 * {@link GatewayNode#whenStopping()}, which {@code pspgw} waits for to exit with status 3 when the
 * cluster downs its gateway: it must complete when the stop begins, with the reason, and not for
 * a member that stays.
 */
class GatewayStoppingTest {

    @Test
    void aMemberTheClusterDownsReportsThatItIsStoppingAndWhy() throws Exception {
        try (LocalCluster c = LocalCluster.startClustered(2, 1, ConfigFactory.empty())) {
            GatewayNode stays = c.get(0).node();
            GatewayNode downed = c.get(1).node();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (stays.clusterGateways().size() != 1) {
                assertTrue(System.nanoTime() < deadline, "the two gateways never saw each other");
                Thread.sleep(50);
            }
            CompletableFuture<String> stopping = downed.whenStopping().toCompletableFuture();
            assertFalse(stopping.isDone(), "a running member is not stopping");

            Cluster.get(stays.actorSystem()).manager()
                    .tell(new Down(Cluster.get(downed.actorSystem()).selfMember().address()));

            String reason = stopping.get(30, TimeUnit.SECONDS);
            assertTrue(reason.contains("ClusterDowning"), reason);
            assertFalse(stays.whenStopping().toCompletableFuture().isDone(), "the member that downed the other goes on");
        }
    }
}
