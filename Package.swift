// swift-tools-version: 6.2
import PackageDescription

// Swift 6 language mode everywhere: complete concurrency checking is on by default.
let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "LiftWatch",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "liftwatch", targets: ["liftwatch"]),
        .executable(name: "liftsim", targets: ["liftsim"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-configuration", from: "1.0.0", traits: ["YAML"]),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.5.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.0.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.6.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.5.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.0.0"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.1.0"),
        .package(url: "https://github.com/apple/swift-async-algorithms", from: "1.0.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        .package(url: "https://github.com/yaslab/CSV.swift", from: "2.5.2"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
    ],
    targets: [
        // glibc's <malloc.h>, for the server's arena cap (no library to link: it is libc).
        .systemLibrary(name: "CMalloc"),
        // Nayuki's QR Code generator from Debian (libqrcodegen-dev): the code on the sign in each car.
        .systemLibrary(name: "CQRCodegen", pkgConfig: "qrcodegen", providers: [.apt(["libqrcodegen-dev"])]),
        // C: the only way into libmosquitto (its headers and library, and the read buffer its client sockets go
        // through, SocketReader.c). Imported by LiftMQTT alone.
        .target(name: "CMosquitto", linkerSettings: [.linkedLibrary("mosquitto")]),
        .target(
            name: "LiftMQTT",
            dependencies: [
                "CMosquitto",
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // The cluster profile: the active node's lease in etcd, the store's replication with Litestream.
        .target(
            name: "LiftCluster",
            dependencies: [
                "LiftCore", "LiftMQTT",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            swiftSettings: swiftSettings
        ),
        // Domain model, payload codec, fault taxonomy, regimes: Foundation only.
        .target(name: "LiftCore", swiftSettings: swiftSettings),
        .target(
            name: "LiftStore",
            dependencies: [
                "LiftCore",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "CSV", package: "CSV.swift"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "LiftIngest",
            dependencies: [
                "LiftCore", "LiftStore", "LiftMQTT",
                .product(name: "AsyncAlgorithms", package: "swift-async-algorithms"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "LiftScheduler",
            dependencies: [
                "LiftCore", "LiftStore",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "LiftAPI",
            dependencies: [
                "CQRCodegen", "LiftCore", "LiftStore", "LiftScheduler",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            // The pages' own scripts and styles, compiled into the binary (`PackageResources`) and served from
            // /assets/app/: the Content-Security-Policy allows no inline script or style.
            resources: ["liftwatch.css", "overview.js", "elevator.js", "contractor.js", "dossier.css", "dossier.js", "progress.js", "record.js", "manager.js"].map { .embedInCode("Assets/\($0)") }
                + ["zh-CN.json", "en.json"].map { .embedInCode("Catalogue/\($0)") },
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "liftwatch",
            dependencies: [
                "CMalloc", "LiftCore", "LiftMQTT", "LiftStore", "LiftIngest", "LiftScheduler", "LiftAPI", "LiftCluster",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // Simulated controllers: the fleet engine, scenarios, the one-thread network runner, the verifier.
        .target(
            name: "LiftSim",
            dependencies: [
                "LiftCore", "LiftMQTT",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Yams", package: "Yams"),
            ],
            path: "simulators/Sources/LiftSim",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "liftsim",
            dependencies: [
                "LiftCore", "LiftMQTT", "LiftSim",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "simulators/Sources/liftsim",
            swiftSettings: swiftSettings
        ),

        // What several test targets share (waiting for child processes, a test HTTP server).
        .target(
            name: "LiftTestSupport", dependencies: [.product(name: "Hummingbird", package: "hummingbird")],
            path: "Tests/LiftTestSupport", swiftSettings: swiftSettings),
        .testTarget(name: "LiftMQTTTests", dependencies: ["LiftMQTT", "LiftCore", "LiftTestSupport"], swiftSettings: swiftSettings),
        .testTarget(name: "LiftCoreTests", dependencies: ["LiftCore"], swiftSettings: swiftSettings),
        .testTarget(
            name: "LiftClusterTests",
            dependencies: ["LiftCluster", "LiftMQTT", .product(name: "GRDB", package: "GRDB.swift"), .product(name: "Logging", package: "swift-log")],
            swiftSettings: swiftSettings),
        .testTarget(name: "LiftStoreTests", dependencies: ["LiftStore", "LiftCore"], swiftSettings: swiftSettings),
        .testTarget(
            name: "LiftIngestTests",
            dependencies: ["LiftIngest", "LiftStore", "LiftCore", "LiftMQTT", "LiftTestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "LiftSchedulerTests",
            dependencies: [
                "LiftScheduler", "LiftStore", "LiftCore", "LiftIngest", "LiftMQTT", "LiftTestSupport",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Hummingbird", package: "hummingbird"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "LiftAPITests",
            dependencies: [
                "LiftAPI", "LiftStore", "LiftCore", "LiftScheduler", "LiftMQTT", "LiftTestSupport",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "liftwatchTests",
            dependencies: ["liftwatch", "LiftMQTT", .product(name: "ArgumentParser", package: "swift-argument-parser")], swiftSettings: swiftSettings),
        .testTarget(name: "liftsimTests", dependencies: ["liftsim", "liftwatch", "LiftSim", "LiftCore", "LiftMQTT", "LiftStore"], path: "simulators/Tests/liftsimTests", swiftSettings: swiftSettings),
    ]
)
