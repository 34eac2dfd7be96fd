// swift-tools-version: 6.1
// Growda: federated learning for hospitals, in Swift.
//
// Targets follow the dependency direction: C shims at the bottom (one per system library, each
// imported by exactly one Swift target), pure logic in the middle, I/O and services above,
// executables on top.
import PackageDescription

// No target is built with -Ounchecked: measured side by side (`growda bench train`, 3 runs each, Dec 2026),
// dropping it from the numeric kernels cost nothing outside this machine's noise (small28 1965 vs 2058
// images/s, xray128 9.7 vs 9.6), so every target keeps its bounds and overflow checks.

let package = Package(
    name: "Growda",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "growda", targets: ["growda"]),
        .executable(name: "growda-node", targets: ["growda-node"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.0.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.6.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        // The one HTTP stack (metrics, consoles, REST API). No swift-configuration: its traits stay off.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1", traits: []),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth", from: "2.5.0"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
    ],
    targets: [
        // MARK: C system libraries (one Swift target imports each)
        .systemLibrary(name: "CBlas", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CPng", pkgConfig: "libpng", providers: [.apt(["libpng-dev"])]),
        .systemLibrary(name: "CSodium", pkgConfig: "libsodium", providers: [.apt(["libsodium-dev"])]),
        .systemLibrary(name: "CZmq", pkgConfig: "libzmq", providers: [.apt(["libzmq3-dev"])]),
        // GDCM is C++ and ships no pkg-config file: a small C++ target puts it behind a C header
        // (include/growda_dicom.h) and names its headers as <gdcm-3.0/...>, so no search-path flag is needed.
        .target(
            name: "CGdcm",
            linkerSettings: [.linkedLibrary("gdcmMSFF"), .linkedLibrary("gdcmDSED"), .linkedLibrary("gdcmCommon")]
        ),

        // MARK: Pure logic
        .target(name: "GrowdaTensor", dependencies: ["CBlas"]),
        .target(name: "GrowdaSafetensors"),
        .target(name: "GrowdaNN", dependencies: ["GrowdaTensor", "GrowdaSafetensors"]),
        .target(name: "GrowdaAggregation", dependencies: ["GrowdaTensor"]),
        // The differential-privacy accountant (RDP of DP-SGD and update-level noise) and a node's privacy ledger.
        .target(name: "GrowdaPrivacy", dependencies: ["GrowdaSafetensors"]),
        .target(name: "GrowdaAudit", dependencies: ["GrowdaNN", "GrowdaTensor"]),

        // MARK: I/O
        .target(name: "GrowdaData", dependencies: ["CPng", "CGdcm", "GrowdaTensor"]),
        .target(name: "GrowdaCrypto", dependencies: ["CSodium"]),
        .target(name: "GrowdaTransport", dependencies: ["CZmq"]),
        .target(name: "GrowdaWire", dependencies: ["GrowdaCrypto", "GrowdaSafetensors"]),
        .target(
            name: "GrowdaStore",
            dependencies: ["GrowdaSafetensors", .product(name: "GRDB", package: "GRDB.swift")]
        ),
        .target(name: "GrowdaProvisioning", dependencies: ["GrowdaCrypto"]),

        // MARK: Services
        .target(
            name: "GrowdaFederation",
            dependencies: [
                "GrowdaNN", "GrowdaTensor", "GrowdaWire", .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .target(
            name: "GrowdaNode",
            dependencies: [
                "GrowdaFederation", "GrowdaNN", "GrowdaData", "GrowdaWire", "GrowdaTransport", "GrowdaProvisioning",
                "GrowdaSafetensors", "GrowdaTensor", "GrowdaCrypto", "GrowdaConsole", "GrowdaDesk", "GrowdaPrivacy",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .target(
            name: "GrowdaAggregator",
            dependencies: [
                "GrowdaAggregation", "GrowdaStore", "GrowdaFederation", "GrowdaNN", "GrowdaData", "GrowdaWire",
                "GrowdaTransport", "GrowdaProvisioning", "GrowdaCrypto", "GrowdaSafetensors", "GrowdaTensor",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),

        // MARK: HTTP: the consoles, the REST API and the metrics endpoint
        .target(
            name: "GrowdaConsole",
            dependencies: [
                "GrowdaCrypto", .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "HummingbirdAuth", package: "hummingbird-auth"),
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .target(
            name: "GrowdaDiagnosis",
            dependencies: [
                "GrowdaConsole", "GrowdaNN", "GrowdaData", "GrowdaCharts", "GrowdaSafetensors",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ]
        ),
        .target(
            name: "GrowdaDesk",
            dependencies: [
                "GrowdaConsole", "GrowdaDiagnosis", .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "GrowdaDashboard",
            dependencies: [
                "GrowdaConsole", "GrowdaDiagnosis", "GrowdaAggregator", "GrowdaCharts", "GrowdaStore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),

        // MARK: Charts and benchmarks
        .target(name: "GrowdaCharts", dependencies: ["GrowdaData"]),
        .target(name: "GrowdaBench", dependencies: ["GrowdaCrypto", "GrowdaTransport", "GrowdaWire"]),

        // MARK: Command line
        .target(
            name: "GrowdaCLI",
            dependencies: [
                "GrowdaNN", "GrowdaData", "GrowdaSafetensors", "GrowdaCrypto", "GrowdaWire", "GrowdaTransport",
                "GrowdaProvisioning", "GrowdaAggregator", "GrowdaStore", "GrowdaFederation", "GrowdaTensor",
                "GrowdaCharts", "GrowdaBench", "GrowdaAggregation", "GrowdaNode", "GrowdaConsole", "GrowdaDashboard",
                "GrowdaPrivacy", "GrowdaAudit", .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .executableTarget(name: "growda", dependencies: ["GrowdaCLI"]),
        .executableTarget(
            name: "growda-node",
            dependencies: ["GrowdaNode"]
        ),

        // MARK: Tests
        .target(
            name: "GrowdaTestKit", dependencies: ["GrowdaNN", "GrowdaStore", "GrowdaSafetensors"],
            path: "Tests/GrowdaTestKit"),
        .testTarget(name: "GrowdaTensorTests", dependencies: ["GrowdaTensor", "GrowdaTestKit"]),
        .testTarget(
            name: "GrowdaNNTests", dependencies: ["GrowdaNN", "GrowdaTensor", "GrowdaSafetensors", "GrowdaTestKit"]),
        .testTarget(name: "GrowdaAggregationTests", dependencies: ["GrowdaAggregation", "GrowdaTensor"]),
        // Fixtures/ holds dp-accounting's numbers and the script that made them, read through #filePath.
        .testTarget(name: "GrowdaPrivacyTests", dependencies: ["GrowdaPrivacy"], exclude: ["Fixtures"]),
        .testTarget(name: "GrowdaAuditTests", dependencies: ["GrowdaAudit", "GrowdaNN", "GrowdaTensor"]),
        .testTarget(
            name: "GrowdaStoreTests",
            dependencies: [
                "GrowdaStore", "GrowdaNN", "GrowdaSafetensors", "GrowdaTestKit",
                .product(name: "GRDB", package: "GRDB.swift"),
            ]
        ),
        .testTarget(
            name: "GrowdaFederationTests",
            dependencies: [
                "GrowdaFederation", "GrowdaNN", "GrowdaTensor", "GrowdaWire",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .testTarget(
            name: "GrowdaAggregatorTests",
            dependencies: [
                "GrowdaAggregator", "GrowdaAggregation", "GrowdaData", "GrowdaFederation", "GrowdaNN",
                "GrowdaProvisioning", "GrowdaStore", "GrowdaWire", "GrowdaTestKit",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "GrowdaNodeTests",
            dependencies: [
                "GrowdaNode", "GrowdaNN", "GrowdaData", "GrowdaTestKit",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(
            name: "GrowdaFederationIntegrationTests",
            dependencies: [
                "GrowdaAggregator", "GrowdaNode", "GrowdaProvisioning", "GrowdaData", "GrowdaTestKit", "GrowdaCrypto",
                "GrowdaNN", "GrowdaStore", "GrowdaTransport", "GrowdaWire", "GrowdaBench", "GrowdaConsole",
                "GrowdaDashboard", "GrowdaSafetensors", "GrowdaPrivacy", .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "GrowdaSafetensorsTests",
            dependencies: ["GrowdaSafetensors"],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(
            name: "GrowdaDataTests", dependencies: ["GrowdaData", "GrowdaTensor", "GrowdaTestKit"], exclude: ["Fixtures"]),
        .testTarget(name: "GrowdaCryptoTests", dependencies: ["GrowdaCrypto"]),
        .testTarget(name: "GrowdaTransportTests", dependencies: ["GrowdaTransport", "CZmq"]),
        .testTarget(
            name: "GrowdaWireTests", dependencies: ["GrowdaWire", "GrowdaCrypto", "GrowdaSafetensors", "GrowdaTensor"]
        ),
        .testTarget(
            name: "GrowdaProvisioningTests",
            dependencies: ["GrowdaProvisioning", "GrowdaCrypto", "GrowdaTestKit"]
        ),
        .testTarget(name: "GrowdaChartsTests", dependencies: ["GrowdaCharts"]),
        .testTarget(
            name: "GrowdaDeskTests",
            dependencies: [
                "GrowdaDesk", "GrowdaDiagnosis", "GrowdaConsole", "GrowdaCrypto", "GrowdaData", "GrowdaNN",
                "GrowdaTestKit", "GrowdaBench", "GrowdaSafetensors", .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "GrowdaConsoleTests",
            dependencies: [
                "GrowdaConsole", "GrowdaDashboard", "GrowdaAggregator", "GrowdaProvisioning", "GrowdaTestKit",
                "GrowdaCrypto", "GrowdaBench", .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "GrowdaCLITests",
            dependencies: [
                "GrowdaCLI", "GrowdaProvisioning", "GrowdaTestKit", "GrowdaAggregator", "GrowdaTransport", "GrowdaCharts",
                "GrowdaData", "GrowdaNN", "GrowdaNode", "GrowdaStore", "GrowdaAudit",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            exclude: ["Golden"]
        ),
    ],
    cxxLanguageStandard: .cxx17
)
