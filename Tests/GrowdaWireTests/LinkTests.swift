import Testing
@testable import GrowdaWire

@Test func wireLinks() {
    #expect(String(describing: GrowdaWireModule.self) == "GrowdaWireModule")
}
