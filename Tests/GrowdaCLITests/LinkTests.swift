import Testing
@testable import GrowdaCLI

@Test func GrowdaCLILinks() {
    #expect(String(describing: Growda.self) == "Growda")
}
