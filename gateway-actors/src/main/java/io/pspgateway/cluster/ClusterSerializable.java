package io.pspgateway.cluster;

/** Marks what crosses the cluster (bound to Jackson JSON in pspgw-cluster.conf). Never key material. */
public interface ClusterSerializable {
}
