import Testing
@testable import GrowdaTransport

@Test func GrowdaTransportLinks() {
    #expect(String(describing: GrowdaTransportModule.self) == "GrowdaTransportModule")
}
