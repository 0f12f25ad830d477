import Console
import Foundation
import Testing

/// The token file: made once with mode 0600, read back afterwards, refused when too open.
@Suite struct ConsoleTokenTests {
    private func temporaryPath() -> String {
        NSTemporaryDirectory() + "console-token-\(UUID().uuidString)/console.token"
    }

    @Test func madeOnceWithOwnerOnlyModeAndKept() throws {
        let path = temporaryPath()
        let first = try ConsoleToken.loadOrCreate(path: path)
        #expect(first.isNew)
        #expect(first.value.count == 64)
        let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? NSNumber
        #expect(mode?.intValue == 0o600)
        let second = try ConsoleToken.loadOrCreate(path: path)
        #expect(!second.isNew)
        #expect(second.value == first.value)
    }

    @Test func refusesAFileOthersCanRead() throws {
        let path = temporaryPath()
        _ = try ConsoleToken.loadOrCreate(path: path)
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: path)
        #expect(throws: ConsoleToken.LoadError.self) { try ConsoleToken.loadOrCreate(path: path) }
    }

    @Test func acceptsOnlyTheSameText() {
        let token = ConsoleToken(value: "abc123")
        #expect(token.accepts("abc123"))
        #expect(!token.accepts("abc124"))
        #expect(!token.accepts("abc12"))
        #expect(!token.accepts(nil))
    }
}
