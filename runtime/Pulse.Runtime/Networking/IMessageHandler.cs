using Pulse.Runtime.Messaging;

namespace Pulse.Runtime.Networking;

/// <summary>
/// Receives what happens on connections: messages read, messages that could not be sent, and closes.
/// One handler usually serves every connection of a silo or client; calls for one connection come
/// from its own read or write loop, calls for different connections run concurrently.
/// </summary>
public interface IMessageHandler
{
    /// <summary>
    /// A message arrived on <paramref name="connection"/> (answer a request on the same connection).
    /// Runs on the connection's read loop: it must not block or wait, or the connection stops
    /// reading; hand the message to a queue or the scheduler and return. It should not throw; an
    /// exception is logged and the message dropped.
    /// </summary>
    void OnMessage(Message message, Connection connection);

    /// <summary>
    /// A message accepted by <see cref="Connection.SendAsync"/> was not written: the connection closed
    /// first (<see cref="ConnectionClosedException"/>; its <see cref="ConnectionClosedException.MayHaveBeenSent"/>
    /// is true for messages of the batch whose flush failed, whose delivery is unknown), or the message
    /// could not be serialized (<see cref="MessageFormatException"/>: too large for a frame, or
    /// <see cref="ArgumentException"/>: a required field is missing). Fail or retry the call. Must not block.
    /// </summary>
    void OnSendFailed(Message message, Connection connection, Exception error);

    /// <summary>
    /// <paramref name="connection"/> closed, after every still-queued message was reported through
    /// <see cref="OnSendFailed"/>. <paramref name="error"/> is null for a clean close by either side,
    /// otherwise why it closed (I/O error, corrupt frame, abort). Called once per connection.
    /// </summary>
    void OnConnectionClosed(Connection connection, Exception? error);
}
