import Testing
@testable import GrowdaAggregation

@Test func GrowdaAggregationLinks() {
    #expect(String(describing: GrowdaAggregationModule.self) == "GrowdaAggregationModule")
}
