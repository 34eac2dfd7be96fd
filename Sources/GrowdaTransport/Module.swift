/// The GrowdaTransport module. See README.md for the map of targets.
public enum GrowdaTransportModule {}
