/// The GrowdaSafetensors module. See README.md for the map of targets.
public enum GrowdaSafetensorsModule {}
