import Testing
@testable import GrowdaStore

@Test func GrowdaStoreLinks() {
    #expect(String(describing: GrowdaStoreModule.self) == "GrowdaStoreModule")
}
