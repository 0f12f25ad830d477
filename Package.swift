// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "Switchboard",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "bus", targets: ["BusProxy"]),
        .executable(name: "switchboard", targets: ["SwitchboardCLI"]),
        .executable(name: "echo-service", targets: ["EchoService"]),
        .library(name: "Bus", targets: ["Bus"]),
        .library(name: "ServiceKit", targets: ["ServiceKit"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.6.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.0.0"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.1.0"),
    ],
    targets: [
        // MARK: Shared libraries
        .systemLibrary(name: "CZeroMQ", path: "Shared/CZeroMQ",
                       providers: [.apt(["libzmq3-dev"])]),
        .target(name: "Contracts", path: "Shared/Contracts"),
        .target(name: "EngineIO", path: "Shared/EngineIO"),
        .target(name: "SocketIO", dependencies: ["EngineIO", "Contracts"], path: "Shared/SocketIO"),
        .target(name: "Bus",
                dependencies: ["CZeroMQ", "Contracts", .product(name: "Logging", package: "swift-log")],
                path: "Shared/Bus"),
        .target(name: "ServiceKit",
                dependencies: [
                    "Bus", "Contracts",
                    .product(name: "Logging", package: "swift-log"),
                    .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                    .product(name: "GRDB", package: "GRDB.swift"),
                ],
                path: "Shared/ServiceKit"),

        // MARK: Executables (one per Procfile process, plus the CLI)
        .executableTarget(name: "BusProxy",
                          dependencies: [
                              "Bus",
                              .product(name: "Logging", package: "swift-log"),
                              .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                          ],
                          path: "Services/Bus"),
        .executableTarget(name: "SwitchboardCLI",
                          dependencies: [
                              "Bus", "Contracts", "ServiceKit",
                              .product(name: "ArgumentParser", package: "swift-argument-parser"),
                              .product(name: "Logging", package: "swift-log"),
                              .product(name: "Histogram", package: "hdrhistogram-swift"),
                          ],
                          path: "Services/Switchboard"),

        // MARK: Test fixtures and tests
        .executableTarget(name: "EchoService",
                          dependencies: [
                              "ServiceKit", "Contracts",
                              .product(name: "Logging", package: "swift-log"),
                              .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                              .product(name: "GRDB", package: "GRDB.swift"),
                          ],
                          path: "Tests/EchoService"),
        .testTarget(name: "EngineIOTests", dependencies: ["EngineIO"], path: "Tests/EngineIOTests"),
        .testTarget(name: "SocketIOTests", dependencies: ["SocketIO", "EngineIO", "Contracts"],
                    path: "Tests/SocketIOTests"),
        .testTarget(name: "ContractsTests", dependencies: ["Contracts"], path: "Tests/ContractsTests"),
        .testTarget(name: "BusTests",
                    dependencies: ["Bus", "Contracts", .product(name: "Logging", package: "swift-log")],
                    path: "Tests/BusTests"),
        .testTarget(name: "ServiceKitTests",
                    dependencies: [
                        "ServiceKit", "Bus", "Contracts",
                        .product(name: "GRDB", package: "GRDB.swift"),
                        .product(name: "Logging", package: "swift-log"),
                    ],
                    path: "Tests/ServiceKitTests"),
    ]
)
