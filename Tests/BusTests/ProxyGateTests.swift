@testable import Bus
import Foundation
import Logging
import Testing

@Suite("Proxy gate")
struct ProxyGateTests {
    @Test("a key remembered by where libzmq keeps it is checked against the text there, and forgotten when the roles change")
    func rolesOfUserIDs() throws {
        let edgeKey = try CurveKeyPair.generate().publicKey
        let chatKey = try CurveKeyPair.generate().publicKey
        let stranger = try CurveKeyPair.generate().publicKey
        let folder = BusKeyFolder(path: NSTemporaryDirectory() + "proxy-gate-\(UUID().uuidString)")
        try FileManager.default.createDirectory(atPath: folder.path, withIntermediateDirectories: true)
        try "\(edgeKey) edge\n\(chatKey) service:chat\n".write(toFile: folder.rolesPath, atomically: true, encoding: .utf8)
        var gate = ProxyGate(folder: folder, roles: BusRoles(text: try String(contentsOfFile: folder.rolesPath, encoding: .utf8)),
                             logger: Logger(label: "test"))
        // One buffer stands for the place of one connection's `User-Id`.
        let place = UnsafeMutablePointer<CChar>.allocate(capacity: 41)
        defer { place.deallocate() }
        func write(_ key: String) { _ = key.withCString { strcpy(place, $0) } }

        write(edgeKey)
        #expect(gate.role(ofUserID: place).key == edgeKey && gate.role(ofUserID: place).role == .edge)
        // Another connection's key at the same place later: read again, not taken from memory.
        write(chatKey)
        #expect(gate.role(ofUserID: place).key == chatKey && gate.role(ofUserID: place).role == .service("chat"))
        write(stranger)
        #expect(gate.role(ofUserID: place).key == stranger && gate.role(ofUserID: place).role == nil)

        // The roles file changes (a second later, as the gate reads it at most once a second).
        write(chatKey)
        #expect(gate.role(ofUserID: place).role == .service("chat"))
        try "\(edgeKey) edge\n".write(toFile: folder.rolesPath, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.modificationDate: Date().addingTimeInterval(5)], ofItemAtPath: folder.rolesPath)
        Thread.sleep(forTimeInterval: 1.05)
        gate.reloadIfChanged()
        #expect(gate.role(ofUserID: place).role == nil)
    }
}
