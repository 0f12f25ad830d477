import Bus
import Contracts
import Testing

private let send = Route(ns: "/", event: "send")
private let typing = Route(ns: "/", event: "typing")

private func hello(_ service: String = "chat", instance: String = "chat-1", ready: Bool = true,
                   handles: [Route] = [send, typing], interval: Int = 1000) -> Hello
{
    Hello(service: service, instance: instance, started: 0, ready: ready, handles: handles, life: [], interval: interval)
}

@Suite("ServiceDirectory")
struct ServiceDirectoryTests {
    @Test("a probing hello (ready: false) changes nothing")
    func probeIgnored() {
        var directory = ServiceDirectory()
        #expect(directory.heard(hello(ready: false), at: 0) == .unchanged)
        #expect(directory.instances.isEmpty)
        #expect(directory.routes.isEmpty)
        #expect(directory.service(for: send) == nil)
        #expect(!directory.isAvailable("chat"))
        // The first ready hello after probes is still a new instance.
        #expect(directory.heard(hello(ready: true), at: 10) == .newInstance(service: "chat", instance: "chat-1"))
    }

    @Test("the first ready hello is a new instance and announces its routes")
    func firstReadyHello() throws {
        var directory = ServiceDirectory()
        #expect(directory.heard(hello(), at: 100) == .newInstance(service: "chat", instance: "chat-1"))
        #expect(directory.service(for: send) == "chat")
        #expect(directory.service(for: typing) == "chat")
        #expect(directory.service(for: Route(ns: "/user", event: "send")) == nil)
        #expect(directory.isAvailable("chat"))
        #expect(!directory.isAvailable("billing"))
        let instance = try #require(directory.instances["chat-1"])
        #expect(instance.lastHeard == 100)
        #expect(instance.hello == hello())
    }

    @Test("a repeated hello of a known instance is unchanged and refreshes it")
    func repeatedHello() throws {
        var directory = ServiceDirectory()
        _ = directory.heard(hello(), at: 0)
        #expect(directory.heard(hello(), at: 1000) == .unchanged)
        #expect(directory.heard(hello(), at: 2000) == .unchanged)
        #expect(try #require(directory.instances["chat-1"]).lastHeard == 2000)
        #expect(directory.instances.count == 1)
        // Heard at 2000 with interval 1000: still alive at 5000.
        #expect(directory.expire(at: 5000).isEmpty)
    }

    @Test("a second instance of the same service is a new instance too")
    func secondInstance() {
        var directory = ServiceDirectory()
        _ = directory.heard(hello(instance: "chat-1"), at: 0)
        #expect(directory.heard(hello(instance: "chat-2"), at: 0) == .newInstance(service: "chat", instance: "chat-2"))
        #expect(directory.instances.count == 2)
    }

    @Test("an instance expires after missing three hello intervals, not before")
    func expiry() {
        var directory = ServiceDirectory()
        #expect(directory.missedHellosBeforeGone == 3)
        _ = directory.heard(hello(interval: 1000), at: 0)
        #expect(directory.expire(at: 2999).isEmpty)
        #expect(directory.expire(at: 3000).isEmpty)
        let gone = directory.expire(at: 3001)
        #expect(gone.map(\.hello.instance) == ["chat-1"])
        #expect(directory.instances.isEmpty)
        #expect(!directory.isAvailable("chat"))
        #expect(directory.expire(at: 100_000).isEmpty)
    }

    @Test("routes are kept after the instance expired, so events wait for a restart")
    func routesKeptAfterExpiry() {
        var directory = ServiceDirectory()
        _ = directory.heard(hello(), at: 0)
        _ = directory.expire(at: 10_000)
        #expect(directory.instances.isEmpty)
        #expect(directory.service(for: send) == "chat")
        #expect(directory.routes == [send: "chat", typing: "chat"])
        // The same instance heard again counts as new: its pending events go out again.
        #expect(directory.heard(hello(), at: 11_000) == .newInstance(service: "chat", instance: "chat-1"))
    }

    @Test("each instance expires on its own interval")
    func perInstanceInterval() {
        var directory = ServiceDirectory()
        _ = directory.heard(hello("chat", instance: "fast", interval: 100), at: 0)
        _ = directory.heard(hello("billing", instance: "slow", handles: [Route(ns: "/", event: "pay")], interval: 1000), at: 0)
        #expect(directory.expire(at: 301).map(\.hello.instance) == ["fast"])
        #expect(directory.isAvailable("billing"))
        #expect(directory.expire(at: 3001).map(\.hello.instance) == ["slow"])
    }

    @Test("missedHellosBeforeGone is configurable")
    func configurableMisses() {
        var directory = ServiceDirectory()
        directory.missedHellosBeforeGone = 1
        _ = directory.heard(hello(interval: 200), at: 0)
        #expect(directory.expire(at: 200).isEmpty)
        #expect(directory.expire(at: 201).count == 1)
    }

    @Test("bundle topics: a topic is bundled only when every live receiver of it said bundles")
    func bundleTopics() {
        func speaker(_ service: String, _ instance: String, bundles: Bool, life: [LifeFactKind] = []) -> Hello {
            var hello = Hello(service: service, instance: instance, started: 0, ready: true, handles: [], life: life,
                              interval: 1000)
            hello.bundles = bundles ? true : nil
            return hello
        }
        var directory = ServiceDirectory()
        #expect(directory.bundleTopics.isEmpty)
        _ = directory.heard(speaker("chat", "chat-1", bundles: true, life: [.connected]), at: 0)
        _ = directory.heard(speaker("edge", "edge-1", bundles: true), at: 0)
        #expect(directory.bundleTopics == ["svc.chat", "inbox.chat-1", "edge", "edge.edge-1", "life"])
        // A second instance written to the older text: its service, and life, go back to single messages.
        _ = directory.heard(speaker("chat", "chat-2", bundles: false, life: [.connected]), at: 0)
        _ = directory.heard(speaker("edge", "edge-2", bundles: false), at: 0)
        #expect(directory.bundleTopics == ["inbox.chat-1", "edge.edge-1"])
        directory.missedHellosBeforeGone = 1
        _ = directory.heard(speaker("chat", "chat-1", bundles: true, life: [.connected]), at: 5000)
        _ = directory.heard(speaker("edge", "edge-1", bundles: true), at: 5000)
        #expect(directory.expire(at: 5500).count == 2)
        #expect(directory.bundleTopics == ["svc.chat", "inbox.chat-1", "edge", "edge.edge-1", "life"])
    }

    @Test("a route moved to another service follows the latest announcement")
    func routeReassigned() {
        var directory = ServiceDirectory()
        _ = directory.heard(hello("chat", instance: "chat-1", handles: [send]), at: 0)
        _ = directory.heard(hello("chat2", instance: "chat2-1", handles: [send]), at: 1)
        #expect(directory.service(for: send) == "chat2")
    }
}
