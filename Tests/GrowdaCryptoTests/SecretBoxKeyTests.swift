import Testing

@testable import GrowdaCrypto

/// Holds keys the way a configuration type would, to check that printing it prints no key.
private struct Holder {
    let boxKey: SecretBoxKey
    let signingKey: SigningKey
}

@Suite("Keys")
struct SecretBoxKeyTests {
    /// 0xAB in every byte: any leak would show as "ab" or "171".
    let keyBytes = [UInt8](repeating: 0xAB, count: 32)

    @Test func keysAreRedactedWhereverTheyArePrinted() throws {
        let boxKey = try SecretBoxKey(bytes: keyBytes)
        let signingKey = try SigningKey(seed: keyBytes)
        var dumped = ""
        dump(Holder(boxKey: boxKey, signingKey: signingKey), to: &dumped)
        #expect("\(boxKey)" == "SecretBoxKey(redacted)")
        #expect(String(reflecting: boxKey) == "SecretBoxKey(redacted)")
        #expect("\(signingKey)" == "SigningKey(redacted)")
        #expect(String(reflecting: signingKey) == "SigningKey(redacted)")
        #expect(Mirror(reflecting: boxKey).children.isEmpty)
        #expect(Mirror(reflecting: signingKey).children.isEmpty)
        let printed = [String(describing: Holder(boxKey: boxKey, signingKey: signingKey)), dumped]
        for text in printed {
            #expect(text.contains("redacted"))
            #expect(!text.contains("171"))
            #expect(!text.lowercased().contains("abab"))
            #expect(!text.contains("storage"))
        }
    }

    @Test func equalityComparesBytes() throws {
        let key = try SecretBoxKey(bytes: keyBytes)
        #expect(key == (try SecretBoxKey(bytes: keyBytes)))
        var other = keyBytes
        other[31] = 0xAA
        #expect(key != (try SecretBoxKey(bytes: other)))
        #expect(try SecretBoxKey.generate() != SecretBoxKey.generate())
    }

    @Test func bytesRoundTrip() throws {
        let key = try SecretBoxKey.generate()
        let copy = try key.withUnsafeBytes { try SecretBoxKey(bytes: $0) }
        #expect(copy == key)
        key.withUnsafeBytes { #expect($0.count == SecretBoxKey.byteCount) }
    }

    @Test func wrongLengthIsRejected() {
        #expect(throws: CryptoError.invalidKeyLength(kind: .secretBox, expected: 32, actual: 16)) {
            try SecretBoxKey(bytes: [UInt8](repeating: 0, count: 16))
        }
    }

    @Test func fingerprintIsStableShortAndDistinct() throws {
        let key = try SecretBoxKey(bytes: keyBytes)
        #expect(key.fingerprint.count == 16)
        #expect(key.fingerprint.allSatisfy { $0.isHexDigit })
        #expect(key.fingerprint == (try SecretBoxKey(bytes: keyBytes)).fingerprint)
        #expect(key.fingerprint != (try SecretBoxKey.generate()).fingerprint)
        #expect(!key.fingerprint.contains("abab"))
        // The kind is part of the hash: equal bytes as a verify key get another fingerprint.
        #expect(key.fingerprint != (try VerifyKey(bytes: keyBytes)).fingerprint)
    }

    /// Pinned values, computed independently with Python's hashlib: keyed BLAKE2b-128 of the bytes
    /// 0, 1, …, 31 with the label `growda.key-fingerprint.v1.<kind>`, first 8 bytes.
    @Test func fingerprintIsTheDocumentedHash() throws {
        let bytes = (0..<32).map { UInt8($0) }
        #expect(try SecretBoxKey(bytes: bytes).fingerprint == "843e2d2ea4abdb85")
        #expect(try VerifyKey(bytes: bytes).fingerprint == "55c5d16afa883d3f")
    }

    @Test func keyMemoryIsZeroedOnRelease() throws {
        let recorder = ReleaseRecorder()
        let address = try recorder.observe { try Self.makeAndDropKey(keyBytes) }
        let releases = recorder.releases.filter { $0.address == address }
        #expect(releases.count == 1)
        #expect(releases.first?.bytes == [UInt8](repeating: 0, count: SecretBoxKey.byteCount))
    }

    @Test func signingKeyMemoryIsZeroedOnRelease() throws {
        let recorder = ReleaseRecorder()
        let address = try recorder.observe {
            let key = try SigningKey.generate()
            return key.storage.address
        }
        let release = try #require(recorder.releases.first { $0.address == address })
        #expect(release.bytes == [UInt8](repeating: 0, count: SigningKey.byteCount))
        // The seed it was derived from is released, and zeroed, too.
        #expect(recorder.releases.contains { $0.bytes == [UInt8](repeating: 0, count: SigningKey.seedByteCount) })
    }

    @Test func memoryIsZeroedWhenFillingItFails() {
        let recorder = ReleaseRecorder()
        recorder.observe {
            #expect(throws: CryptoError.authenticationFailure) {
                _ = try SecureBytes(count: 16) { bytes throws(CryptoError) in
                    bytes.initializeMemory(as: UInt8.self, repeating: 0x5A)
                    throw .authenticationFailure
                }
            }
        }
        #expect(recorder.releases.map(\.bytes) == [[UInt8](repeating: 0, count: 16)])
    }

    /// Makes a key from `bytes` and lets it go; returns where its bytes were.
    private static func makeAndDropKey(_ bytes: [UInt8]) throws -> UnsafeRawPointer {
        let key = try SecretBoxKey(bytes: bytes)
        // The memory really held the key before release, so an all-zero release proves the wipe.
        key.withUnsafeBytes { #expect(Array($0) == bytes) }
        return key.storage.address
    }
}
