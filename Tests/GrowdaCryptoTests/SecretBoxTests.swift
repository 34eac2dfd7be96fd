import Testing

@testable import GrowdaCrypto

/// The classic NaCl secretbox vector, as libsodium's test/default/secretbox.c and secretbox_easy.exp have it.
enum NaClVector {
    static let key = bytes(hex: "1b27556473e985d462cd51197a9a46c76009549eac6474f206c4ee0844f68389")
    static let nonce = bytes(hex: "69696ee955b62b73cd62bda875fc73d68219e0036b7a0b37")
    static let plaintext = bytes(
        hex: """
            be075fc53c81f2d5cf141316ebeb0c7b5228c52a4c62cbd44b66849b64244ffce5ecbaaf33bd751a1ac728d45e6c6129
            6cdc3c01233561f41db66cce314adb310e3be8250c46f06dceea3a7fa1348057e2f6556ad6b1318a024a838f21af1fde
            048977eb48f59ffd4924ca1c60902e52f0a089bc76897040e082f937763848645e0705
            """
    )
    /// The Poly1305 tag, then the XSalsa20 ciphertext.
    static let ciphertext = bytes(
        hex: """
            f3ffc7703f9400e52a7dfb4b3d3305d98e993b9f48681273c29650ba32fc76ce48332ea7164d96a4476fb8c531a1186a
            c0dfc17c98dce87b4da7f011ec48c97271d2c20f9b928fe2270d6fb863d51738b48eeee314a7cc8ab932164548e526ae
            90224368517acfeabd6bb3732bc0e9da99832b61ca01b6de56244a9e88d5f9b37973f622a43d14a6599b1f654cb45a74
            e355a5
            """
    )
}

@Suite("SecretBox")
struct SecretBoxTests {
    let key: SecretBoxKey
    let message = Array("update 7 from hospital A: 2 tensors".utf8)

    init() throws {
        key = try SecretBoxKey.generate()
    }

    @Test func sealMatchesTheNaClVector() throws {
        #expect(NaClVector.plaintext.count == 131)
        let box = try SecretBox.seal(
            NaClVector.plaintext,
            key: SecretBoxKey(bytes: NaClVector.key),
            nonce: .init(bytes: NaClVector.nonce)
        )
        #expect(box.ciphertext == NaClVector.ciphertext)
        #expect(box.nonce.bytes == NaClVector.nonce)
    }

    @Test func openMatchesTheNaClVector() throws {
        let opened = try SecretBox.open(
            NaClVector.ciphertext,
            nonce: .init(bytes: NaClVector.nonce),
            key: SecretBoxKey(bytes: NaClVector.key)
        )
        #expect(opened == NaClVector.plaintext)
    }

    @Test func sealThenOpenRoundTrips() throws {
        let box = try SecretBox.seal(message, key: key)
        #expect(box.ciphertext.count == message.count + SecretBox.macByteCount)
        #expect(box.ciphertext.suffix(message.count) != message[...])
        #expect(try SecretBox.open(box, key: key) == message)
    }

    @Test func emptyPlaintextRoundTrips() throws {
        let box = try SecretBox.seal([UInt8](), key: key)
        #expect(box.ciphertext.count == SecretBox.macByteCount)
        #expect(try SecretBox.open(box, key: key) == [])
    }

    @Test func eachSealTakesAFreshNonce() throws {
        let first = try SecretBox.seal(message, key: key)
        let second = try SecretBox.seal(message, key: key)
        #expect(first.nonce != second.nonce)
        #expect(first.ciphertext != second.ciphertext)
    }

    @Test(arguments: [0, 5, SecretBox.macByteCount - 1])
    func flippedTagBitFailsAuthentication(byte: Int) throws {
        let box = try SecretBox.seal(message, key: key)
        var ciphertext = box.ciphertext
        ciphertext[byte] ^= 0x01
        #expect(throws: CryptoError.authenticationFailure) {
            try SecretBox.open(ciphertext, nonce: box.nonce, key: key)
        }
    }

    @Test(arguments: [0, 17, 34])
    func flippedBodyBitFailsAuthentication(offset: Int) throws {
        let box = try SecretBox.seal(message, key: key)
        var ciphertext = box.ciphertext
        ciphertext[SecretBox.macByteCount + offset] ^= 0x80
        #expect(throws: CryptoError.authenticationFailure) {
            try SecretBox.open(ciphertext, nonce: box.nonce, key: key)
        }
    }

    @Test func wrongKeyFailsAuthentication() throws {
        let box = try SecretBox.seal(message, key: key)
        let other = try SecretBoxKey.generate()
        #expect(throws: CryptoError.authenticationFailure) { try SecretBox.open(box, key: other) }
    }

    @Test func wrongNonceFailsAuthentication() throws {
        let box = try SecretBox.seal(message, key: key)
        var nonce = box.nonce.bytes
        nonce[23] ^= 0x01
        #expect(throws: CryptoError.authenticationFailure) {
            try SecretBox.open(box.ciphertext, nonce: .init(bytes: nonce), key: key)
        }
    }

    @Test func truncatedCiphertextFailsAuthentication() throws {
        let box = try SecretBox.seal(message, key: key)
        #expect(throws: CryptoError.authenticationFailure) {
            try SecretBox.open(box.ciphertext.dropLast(), nonce: box.nonce, key: key)
        }
    }

    @Test func ciphertextShorterThanTheTagIsTooShort() throws {
        let box = try SecretBox.seal(message, key: key)
        #expect(throws: CryptoError.ciphertextTooShort(minimum: 16, actual: 15)) {
            try SecretBox.open(box.ciphertext.prefix(15), nonce: box.nonce, key: key)
        }
        #expect(throws: CryptoError.ciphertextTooShort(minimum: 16, actual: 0)) {
            try SecretBox.SealedBox(nonce: box.nonce, ciphertext: [])
        }
    }

    @Test func nonceOfWrongLengthIsRejected() {
        #expect(throws: CryptoError.invalidNonceLength(expected: 24, actual: 12)) {
            try SecretBox.Nonce(bytes: [UInt8](repeating: 0, count: 12))
        }
    }

    @Test func combinedFormRoundTrips() throws {
        let box = try SecretBox.seal(message, key: key)
        #expect(box.combined.count == 24 + 16 + message.count)
        let parsed = try SecretBox.SealedBox(combined: box.combined)
        #expect(parsed == box)
        #expect(try SecretBox.open(parsed, key: key) == message)
        #expect(throws: CryptoError.ciphertextTooShort(minimum: 40, actual: 39)) {
            try SecretBox.SealedBox(combined: box.combined.prefix(39))
        }
    }

    @Test func bufferFormsSealAndOpenInPlace() throws {
        let nonce = try SecretBox.Nonce()
        // One buffer: the tag's room, then the plaintext; sealed and opened without another allocation.
        var buffer = [UInt8](repeating: 0, count: SecretBox.macByteCount) + message
        let sealedCount = try buffer.withUnsafeMutableBytes { whole in
            try SecretBox.seal(
                UnsafeRawBufferPointer(rebasing: whole[SecretBox.macByteCount...]),
                key: key,
                nonce: nonce,
                into: whole
            )
        }
        #expect(sealedCount == buffer.count)
        #expect(try buffer == SecretBox.seal(message, key: key, nonce: nonce).ciphertext)
        let openedCount = try buffer.withUnsafeMutableBytes { whole in
            try SecretBox.open(UnsafeRawBufferPointer(whole), nonce: nonce, key: key, into: whole)
        }
        #expect(openedCount == message.count)
        #expect(Array(buffer.prefix(openedCount)) == message)
    }

    @Test func bufferFormsRefuseSmallOutputs() throws {
        let nonce = try SecretBox.Nonce()
        var output = [UInt8](repeating: 0, count: message.count + 15)
        #expect(throws: CryptoError.outputBufferTooSmall(required: message.count + 16, actual: message.count + 15)) {
            try message.withUnsafeBytes { input in
                try output.withUnsafeMutableBytes { try SecretBox.seal(input, key: key, nonce: nonce, into: $0) }
            }
        }
        let box = try SecretBox.seal(message, key: key, nonce: nonce)
        var small = [UInt8](repeating: 0, count: message.count - 1)
        #expect(throws: CryptoError.outputBufferTooSmall(required: message.count, actual: message.count - 1)) {
            try box.ciphertext.withUnsafeBytes { input in
                try small.withUnsafeMutableBytes { try SecretBox.open(input, nonce: nonce, key: key, into: $0) }
            }
        }
    }

    @Test func openWritesNothingWhenAuthenticationFails() throws {
        let nonce = try SecretBox.Nonce()
        var ciphertext = try SecretBox.seal(message, key: key, nonce: nonce).ciphertext
        ciphertext[0] ^= 0x01
        var output = [UInt8](repeating: 0xEE, count: message.count)
        #expect(throws: CryptoError.authenticationFailure) {
            try ciphertext.withUnsafeBytes { input in
                try output.withUnsafeMutableBytes { try SecretBox.open(input, nonce: nonce, key: key, into: $0) }
            }
        }
        #expect(output == [UInt8](repeating: 0xEE, count: message.count))
    }

    @Test func largePayloadRoundTrips() throws {
        let payload = (0..<(4 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 2_654_435_761 >> 13) }
        let box = try payload.withUnsafeBytes { try SecretBox.seal($0, key: key) }
        #expect(try box.ciphertext.withUnsafeBytes { try SecretBox.open($0, nonce: box.nonce, key: key) } == payload)
    }

    @Test func sealedBoxDescriptionShowsSizesNotBytes() throws {
        let box = try SecretBox.seal(message, key: key)
        #expect(box.description == "SealedBox(nonce: \(box.nonce.hex), ciphertext: \(message.count + 16) bytes)")
    }
}
