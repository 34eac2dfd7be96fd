import Testing
@testable import GrowdaSafetensors

@Test func GrowdaSafetensorsLinks() {
    #expect(String(describing: GrowdaSafetensorsModule.self) == "GrowdaSafetensorsModule")
}
