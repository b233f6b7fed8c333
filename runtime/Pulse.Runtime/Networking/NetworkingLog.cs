using System.Net;
using Microsoft.Extensions.Logging;
using Pulse.Runtime.Membership;
using Pulse.Runtime.Messaging;

namespace Pulse.Runtime.Networking;

/// <summary>Log messages of the TCP transport, source-generated. Event ids 6000-6099.</summary>
internal static partial class NetworkingLog
{
    [LoggerMessage(EventId = 6000, Level = LogLevel.Information, Message = "Listening for {Role} connections on {EndPoint}")]
    public static partial void ListenerStarted(ILogger logger, ConnectionRole role, EndPoint endPoint);

    [LoggerMessage(EventId = 6001, Level = LogLevel.Information, Message = "Stopped listening for {Role} connections on {EndPoint}")]
    public static partial void ListenerStopped(ILogger logger, ConnectionRole role, EndPoint endPoint);

    [LoggerMessage(EventId = 6002, Level = LogLevel.Debug, Message = "Connection {ConnectionId} accepted from {RemoteEndPoint}: {Remote}")]
    public static partial void ConnectionAccepted(ILogger logger, long connectionId, EndPoint? remoteEndPoint, ConnectionPreamble remote);

    [LoggerMessage(EventId = 6003, Level = LogLevel.Debug, Message = "Connection {ConnectionId} established to {Target}")]
    public static partial void ConnectionEstablished(ILogger logger, long connectionId, SiloAddress target);

    [LoggerMessage(EventId = 6004, Level = LogLevel.Warning, Message = "Rejected a connection from {RemoteEndPoint}: {Reason}")]
    public static partial void HandshakeRejected(ILogger logger, EndPoint? remoteEndPoint, string reason);

    [LoggerMessage(EventId = 6005, Level = LogLevel.Information, Message = "Handshake with {RemoteEndPoint} failed")]
    public static partial void HandshakeFailed(ILogger logger, EndPoint? remoteEndPoint, Exception exception);

    [LoggerMessage(EventId = 6006, Level = LogLevel.Debug, Message = "Connection {ConnectionId} to {Remote} closed")]
    public static partial void ConnectionClosed(ILogger logger, long connectionId, ConnectionPreamble remote);

    [LoggerMessage(EventId = 6007, Level = LogLevel.Information, Message = "Connection {ConnectionId} to {Remote} closed: {Reason}")]
    public static partial void ConnectionClosedWithError(ILogger logger, long connectionId, ConnectionPreamble remote, string reason, Exception exception);

    [LoggerMessage(EventId = 6008, Level = LogLevel.Warning, Message = "Connection {ConnectionId} to {Remote} sent a corrupt frame; closing it")]
    public static partial void CorruptFrame(ILogger logger, long connectionId, ConnectionPreamble remote, Exception exception);

    [LoggerMessage(EventId = 6009, Level = LogLevel.Information, Message = "Connecting to {Target} failed; next attempt in {BackoffMs} ms")]
    public static partial void ConnectFailed(ILogger logger, SiloAddress target, long backoffMs, Exception exception);

    [LoggerMessage(EventId = 6010, Level = LogLevel.Information, Message = "Expected {Target} but {Actual} answered on its endpoint; the target restarted")]
    public static partial void StaleGeneration(ILogger logger, SiloAddress target, SiloAddress actual);

    [LoggerMessage(EventId = 6011, Level = LogLevel.Error, Message = "The message handler threw for {Message} on connection {ConnectionId}")]
    public static partial void HandlerFailed(ILogger logger, Message message, long connectionId, Exception exception);

    [LoggerMessage(EventId = 6012, Level = LogLevel.Warning, Message = "Accepting a connection on {EndPoint} failed")]
    public static partial void AcceptFailed(ILogger logger, EndPoint endPoint, Exception exception);

    [LoggerMessage(EventId = 6013, Level = LogLevel.Warning, Message = "Could not write {Message} on connection {ConnectionId}; dropped it")]
    public static partial void SerializeFailed(ILogger logger, Message message, long connectionId, Exception exception);

    [LoggerMessage(EventId = 6014, Level = LogLevel.Information, Message = "Closing {Count} connections to {Target}: {Reason}")]
    public static partial void Aborting(ILogger logger, int count, SiloAddress target, string reason);

    [LoggerMessage(EventId = 6015, Level = LogLevel.Error, Message = "The message handler threw while connection {ConnectionId} reported a failed send or its close")]
    public static partial void HandlerCallbackFailed(ILogger logger, long connectionId, Exception exception);
}
