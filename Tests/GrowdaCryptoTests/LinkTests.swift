import Testing
@testable import GrowdaCrypto

@Test func GrowdaCryptoLinks() {
    #expect(String(describing: GrowdaCryptoModule.self) == "GrowdaCryptoModule")
}
