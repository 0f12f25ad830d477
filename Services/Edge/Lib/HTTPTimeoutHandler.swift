import NIOCore
import NIOHTTP1

/// Closes an HTTP connection that is too slow to send its request: a head must be complete
/// within `headerTimeout` of the connection opening or of the previous response ending (a
/// kept-alive connection waiting for its next request), and a body must not go `idleTimeout`
/// without a byte. A request read whole waits for its answer (a long poll) with no limit from
/// here. It sits between NIO's HTTP decoder and ``HTTPHandler`` and leaves with it on an upgrade.
final class HTTPTimeoutHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    /// Its name in the pipeline, by which an upgrade removes it.
    static let name = "switchboard-http-timeouts"

    private let headerTimeout: TimeAmount
    private let idleTimeout: TimeAmount
    private var timer: Scheduled<Void>?
    /// Between a request's head and its end.
    private var reading = false

    /// A handler with the timeouts of `limits`.
    init(limits: EdgeConfiguration.Limits) {
        headerTimeout = .milliseconds(limits.headerTimeout)
        idleTimeout = .milliseconds(limits.idleTimeout)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { arm(headerTimeout, context: context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        arm(headerTimeout, context: context)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head, .body:
            reading = true
            arm(idleTimeout, context: context)
        case .end:
            reading = false
            timer?.cancel()
            timer = nil
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data), !reading { arm(headerTimeout, context: context) }
        context.write(data, promise: promise)
    }

    func channelInactive(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
    }

    /// Closes the connection after `delay` unless the timer is armed again or cancelled first.
    private func arm(_ delay: TimeAmount, context: ChannelHandlerContext) {
        timer?.cancel()
        let channel = context.channel
        timer = context.eventLoop.assumeIsolated().scheduleTask(in: delay) {
            channel.close(promise: nil)
        }
    }
}
