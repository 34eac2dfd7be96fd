import Testing

@testable import GrowdaCrypto

/// RFC 8032 §7.1, Ed25519 tests 1 to 3: secret seed, public key, message, signature.
struct RFC8032Vector: Sendable, CustomTestStringConvertible {
    let name: String
    let seed: [UInt8]
    let publicKey: [UInt8]
    let message: [UInt8]
    let signature: [UInt8]

    var testDescription: String { name }

    static let all = [
        RFC8032Vector(
            name: "TEST 1",
            seed: bytes(hex: "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"),
            publicKey: bytes(hex: "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"),
            message: [],
            signature: bytes(
                hex: """
                    e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46b
                    d25bf5f0595bbe24655141438e7a100b
                    """
            )
        ),
        RFC8032Vector(
            name: "TEST 2",
            seed: bytes(hex: "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb"),
            publicKey: bytes(hex: "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c"),
            message: bytes(hex: "72"),
            signature: bytes(
                hex: """
                    92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c
                    387b2eaeb4302aeeb00d291612bb0c00
                    """
            )
        ),
        RFC8032Vector(
            name: "TEST 3",
            seed: bytes(hex: "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7"),
            publicKey: bytes(hex: "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025"),
            message: bytes(hex: "af82"),
            signature: bytes(
                hex: """
                    6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc659
                    4a7c15e9716ed28dc027beceea1ec40a
                    """
            )
        ),
    ]
}

@Suite("Ed25519 signing")
struct SigningKeyTests {
    @Test(arguments: RFC8032Vector.all)
    func seedGivesThePublicKey(vector: RFC8032Vector) throws {
        let key = try SigningKey(seed: vector.seed)
        #expect(key.verifyKey.bytes == vector.publicKey)
        #expect(key.publicKey == key.verifyKey)
        key.withUnsafeBytes { secret in
            #expect(Array(secret) == vector.seed + vector.publicKey)
        }
    }

    @Test(arguments: RFC8032Vector.all)
    func signatureMatchesTheRFC(vector: RFC8032Vector) throws {
        let key = try SigningKey(seed: vector.seed)
        #expect(try key.sign(vector.message).bytes == vector.signature)
    }

    @Test(arguments: RFC8032Vector.all)
    func verifyKeyAcceptsTheRFCSignature(vector: RFC8032Vector) throws {
        let verifyKey = try VerifyKey(bytes: vector.publicKey)
        let signature = try Signature(bytes: vector.signature)
        #expect(verifyKey.isValidSignature(signature, for: vector.message))
        try verifyKey.verify(signature, for: vector.message)
    }

    @Test(arguments: RFC8032Vector.all)
    func alteredMessageOrSignatureIsRejected(vector: RFC8032Vector) throws {
        let verifyKey = try VerifyKey(bytes: vector.publicKey)
        let signature = try Signature(bytes: vector.signature)
        let altered = vector.message + [0x00]
        #expect(!verifyKey.isValidSignature(signature, for: altered))
        #expect(throws: CryptoError.invalidSignature) { try verifyKey.verify(signature, for: altered) }
        var badBytes = vector.signature
        badBytes[40] ^= 0x04
        let badSignature = try Signature(bytes: badBytes)
        #expect(!verifyKey.isValidSignature(badSignature, for: vector.message))
        #expect(throws: CryptoError.invalidSignature) { try verifyKey.verify(badSignature, for: vector.message) }
    }

    @Test func anotherKeysSignatureIsRejected() throws {
        let signer = try SigningKey.generate()
        let other = try SigningKey.generate()
        let message = Array("global model v12".utf8)
        #expect(signer.verifyKey != other.verifyKey)
        #expect(!other.verifyKey.isValidSignature(try signer.sign(message), for: message))
    }

    @Test func signingADigestVerifiesAgainstTheDigest() throws {
        let key = try SigningKey.generate()
        let model = (0..<100_000).map { UInt8(truncatingIfNeeded: $0) }
        let digest = try GenericHash.hash(model)
        let signature = try key.sign(digest)
        #expect(signature == (try key.sign(digest.bytes)))
        try key.verifyKey.verify(signature, for: digest)
        var tampered = model
        tampered[99_999] ^= 1
        #expect(!key.verifyKey.isValidSignature(signature, for: try GenericHash.hash(tampered)))
    }

    @Test func secretKeyBytesRoundTrip() throws {
        let key = try SigningKey.generate()
        let copy = try key.withUnsafeBytes { try SigningKey(bytes: $0) }
        #expect(copy == key)
        #expect(copy.fingerprint == key.fingerprint)
        #expect(try SigningKey.generate() != key)
    }

    @Test func secretKeyWhosePublicHalfDoesNotMatchIsRejected() throws {
        let vector = RFC8032Vector.all[0]
        #expect(throws: CryptoError.inconsistentSigningKey) {
            try SigningKey(bytes: vector.seed + RFC8032Vector.all[1].publicKey)
        }
    }

    @Test func wrongLengthsAreRejected() {
        #expect(throws: CryptoError.invalidKeyLength(kind: .signing, expected: 32, actual: 31)) {
            try SigningKey(seed: [UInt8](repeating: 1, count: 31))
        }
        #expect(throws: CryptoError.invalidKeyLength(kind: .signing, expected: 64, actual: 32)) {
            try SigningKey(bytes: [UInt8](repeating: 1, count: 32))
        }
        #expect(throws: CryptoError.invalidKeyLength(kind: .verify, expected: 32, actual: 33)) {
            try VerifyKey(bytes: [UInt8](repeating: 1, count: 33))
        }
        #expect(throws: CryptoError.invalidSignatureLength(expected: 64, actual: 63)) {
            try Signature(bytes: [UInt8](repeating: 1, count: 63))
        }
    }

    @Test func signingKeySharesItsVerifyKeysFingerprint() throws {
        let key = try SigningKey(seed: RFC8032Vector.all[0].seed)
        #expect(key.fingerprint == key.verifyKey.fingerprint)
        #expect(key.fingerprint.count == 16)
        #expect(key.fingerprint == (try SigningKey(seed: RFC8032Vector.all[0].seed)).fingerprint)
        #expect(key.fingerprint != (try SigningKey(seed: RFC8032Vector.all[1].seed)).fingerprint)
        #expect(key.verifyKey.description == "VerifyKey(fingerprint: \(key.fingerprint))")
    }
}
