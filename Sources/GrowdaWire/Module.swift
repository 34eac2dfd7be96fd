/// The GrowdaWire module. See README.md for the map of targets.
public enum GrowdaWireModule {}
