/// The GrowdaAggregation module. See README.md for the map of targets.
public enum GrowdaAggregationModule {}
