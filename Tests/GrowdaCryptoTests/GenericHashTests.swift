import Testing

@testable import GrowdaCrypto

@Suite("BLAKE2b")
struct GenericHashTests {
    /// RFC 7693 Appendix A: BLAKE2b-512("abc").
    @Test func abcMatchesRFC7693() throws {
        let digest = try Array("abc".utf8).withUnsafeBytes { try GenericHash.hash($0, outputByteCount: 64) }
        #expect(
            digest.hex == """
                ba80a53f981c4d0d6a2797b69f12f6e94c212f14685ac4b74b12bb6fdbffa2d1\
                7d87c5392aab792dc252d5de4533cc9518d38aa8dbf1925ab92386edd4009923
                """
        )
    }

    /// BLAKE2b-512 and BLAKE2b-256 of the empty string, the reference implementation's values.
    @Test func emptyStringMatchesTheReference() throws {
        let wide = try [UInt8]().withUnsafeBytes { try GenericHash.hash($0, outputByteCount: 64) }
        #expect(
            wide.hex == """
                786a02f742015903c6c6fd852552d272912f4740e15847618a86e217f71f5419\
                d25e1031afee585313896444934eb04b903a685b1448b755d56f701afe9be2ce
                """
        )
        let digest = try GenericHash.hash([UInt8]())
        #expect(digest.bytes.count == GenericHash.byteCount)
        #expect(digest.hex == "0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8")
        #expect(digest.description == digest.hex)
    }

    @Test func sequenceAndBufferFormsAgree() throws {
        let data = Array("growda model v3".utf8)
        let fromArray = try GenericHash.hash(data)
        let fromSlice = try GenericHash.hash(([0] + data)[1...])
        let fromBuffer = try data.withUnsafeBytes { try GenericHash.hash($0) }
        let fromLazySequence = try GenericHash.hash(data.lazy.map { $0 })
        #expect(fromArray == fromSlice)
        #expect(fromArray == fromBuffer)
        #expect(fromArray == fromLazySequence)
        #expect(fromArray != (try GenericHash.hash(data.dropLast())))
    }
}
