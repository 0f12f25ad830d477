import ArgumentParser
import Bus
import Foundation
import SwitchboardKit

/// `switchboard keys`: makes the bus's CURVE keys that are missing, or rotates one.
struct KeysCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys",
        abstract: "Create the bus keys that are missing (the folder 0700, key files 0600), or rotate one.",
        discussion: """
            Makes the bus's key, one key per standard process (edge, chat, presence, call, notification,
            echo-service, operator, console, observer) and one per MEMBER, NAME=ROLE, ROLE being edge, service:NAME,
            operator or observer; a key file is FOLDER/NAME.key. Existing keys are kept.
            The roles file FOLDER/roles lists every public key with its role: delete a line to revoke a
            key. docs/operations.md explains hosts apart, rotation and revocation.
            """
    )

    @Option(help: "The key folder (default: BUS_KEYS, else $SWITCHBOARD_DATA/keys, else data/keys).")
    var folder = BusKeyFolder.path()
    @Option(help: "Give the key file NAME a new key pair with the same role (the old key is refused).")
    var rotate: String?
    @Argument(help: "NAME=ROLE pairs to create besides the standard set.") var members: [String] = []

    func run() throws {
        let keys = BusKeyFolder(path: folder)
        do {
            if let rotate {
                try keys.rotate(rotate)
                emitLine("keys: \(keys.keyPath(rotate)) has a new key pair")
                return
            }
            let created = try keys.ensure(try parsedMembers())
            emitLine(created.isEmpty ? "keys: nothing missing in \(folder)"
                                     : "keys: created \(created.joined(separator: ", ")) in \(folder)")
        } catch {
            throw ValidationError(error.description)
        }
    }

    private func parsedMembers() throws(BusKeyError) -> [(name: String, role: BusRole)] {
        BusKeyFolder.standardMembers + (try members.map { member throws(BusKeyError) in
            let parts = member.split(separator: "=", maxSplits: 1)
            guard parts.count == 2, let role = BusRole(parts[1]) else {
                throw .invalid("a member is NAME=ROLE (edge, service:NAME, operator, observer): \(member)")
            }
            return (String(parts[0]), role)
        })
    }
}
