import Testing
@testable import GrowdaData

@Test func GrowdaDataLinks() {
    #expect(String(describing: GrowdaDataModule.self) == "GrowdaDataModule")
}
