import Testing
@testable import GrowdaNN

@Test func GrowdaNNLinks() {
    #expect(String(describing: GrowdaNNModule.self) == "GrowdaNNModule")
}
