using System.Net;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Pulse.Runtime.Configuration;
using Pulse.Runtime.Membership;
using Pulse.Runtime.Messaging;

namespace Pulse.Runtime.Networking;

/// <summary>
/// One TCP connection to another node, after a successful handshake. Many calls share it: any
/// number of senders enqueue messages into a bounded send queue that one write loop drains,
/// writing as many frames per flush as are waiting; one read loop parses frames and hands each
/// message to the <see cref="IMessageHandler"/>. A corrupt frame, an I/O error or
/// <see cref="Close"/> ends the connection; it is never reopened.
/// </summary>
public sealed partial class Connection : IAsyncDisposable
{
    private static long s_nextId;

    private readonly SocketTransport _transport;
    private readonly Channel<Message> _sendQueue;
    private readonly IMessageHandler _handler;
    private readonly INetworkFaults _faults;
    private readonly ILogger _logger;
    private readonly int _maxFrameBytes;
    private readonly SiloAddress? _localSilo;
    private readonly SiloAddress? _remoteSilo;
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _state;
    private Exception? _closeReason;

    internal Connection(
        SocketTransport transport,
        ConnectionPreamble localPreamble,
        ConnectionPreamble remotePreamble,
        bool isOutbound,
        IMessageHandler handler,
        NetworkingOptions options,
        INetworkFaults faults,
        ILogger logger)
    {
        _transport = transport;
        LocalPreamble = localPreamble;
        RemotePreamble = remotePreamble;
        IsOutbound = isOutbound;
        _handler = handler;
        _faults = faults;
        _logger = logger;
        _maxFrameBytes = options.MaxFrameBytes;
        _localSilo = localPreamble.SiloOrNull;
        _remoteSilo = remotePreamble.SiloOrNull;
        Id = Interlocked.Increment(ref s_nextId);
        _sendQueue = Channel.CreateBounded<Message>(new BoundedChannelOptions(options.SendQueueCapacity)
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleReader = true,
            SingleWriter = false,

            // Senders must not end up running the write loop (or vice versa) inline.
            AllowSynchronousContinuations = false,
        });
    }

    /// <summary>A process-wide unique number, for logs.</summary>
    public long Id { get; }

    /// <summary>This node's preamble as sent to the other side.</summary>
    public ConnectionPreamble LocalPreamble { get; }

    /// <summary>Who is on the other side, as its preamble said.</summary>
    public ConnectionPreamble RemotePreamble { get; }

    /// <summary>Whether this node opened the connection (rather than accepting it).</summary>
    public bool IsOutbound { get; }

    /// <summary>The other side's socket endpoint.</summary>
    public EndPoint? RemoteEndPoint => _transport.RemoteEndPoint;

    /// <summary>Whether the connection still accepts messages. It can turn false at any time.</summary>
    public bool IsOpen => Volatile.Read(ref _state) == StateOpen;

    /// <summary>
    /// State the message handler keeps for this connection (the router's reply channel), so that it is
    /// made once per connection rather than once per message. Only the handler's
    /// <see cref="IMessageHandler.OnMessage"/> touches it, and that runs on the read loop alone.
    /// </summary>
    internal object? HandlerState { get; set; }

    /// <summary>Messages waiting in the send queue.</summary>
    public int SendQueueLength => _sendQueue.Reader.Count;

    /// <summary>
    /// Completes (never faults) once the connection is closed and every callback of the handler for it
    /// has returned.
    /// </summary>
    public Task Completion => _completion.Task;

    /// <summary>Why the connection closed: null while open or after a clean close.</summary>
    public Exception? CloseReason => Volatile.Read(ref _state) == StateOpen ? null : _closeReason;

    /// <summary>
    /// Queues <paramref name="message"/> to be written. Completes at once when the queue has room,
    /// otherwise waits for room (back-pressure). Completion means queued, not delivered: if the
    /// connection closes before the message is written, <see cref="IMessageHandler.OnSendFailed"/>
    /// reports it.
    /// </summary>
    /// <exception cref="ConnectionClosedException">The connection is closed or closed while waiting for room.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> fired while waiting; the message was not queued.</exception>
    public ValueTask SendAsync(Message message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        return _sendQueue.Writer.TryWrite(message) ? default : SendSlowAsync(message, cancellationToken);
    }

    /// <summary>
    /// Queues <paramref name="message"/> if the queue has room and the connection is open; never waits.
    /// For callers that must not wait, such as a message handler answering on its read loop.
    /// </summary>
    public bool TrySend(Message message)
    {
        ArgumentNullException.ThrowIfNull(message);
        return _sendQueue.Writer.TryWrite(message);
    }

    /// <summary>
    /// Closes the connection: stops both loops, closes the socket, reports queued messages through
    /// <see cref="IMessageHandler.OnSendFailed"/> and then calls <see cref="IMessageHandler.OnConnectionClosed"/>.
    /// Later calls do nothing. Does not wait; await <see cref="Completion"/> for that.
    /// </summary>
    /// <param name="reason">Why, or null for a normal close.</param>
    public void Close(Exception? reason = null)
    {
        if (Interlocked.CompareExchange(ref _state, StateClosed, StateOpen) != StateOpen)
        {
            return;
        }

        _closeReason = reason;
        _sendQueue.Writer.TryComplete();

        // Closing the socket is what wakes a read loop waiting for bytes and a flush waiting for room.
        _transport.Abort();
    }

    /// <summary>Closes the connection and waits until it is closed.</summary>
    public async ValueTask DisposeAsync()
    {
        Close();
        await Completion.ConfigureAwait(false);
    }

    /// <inheritdoc />
    public override string ToString() => $"connection {Id} {(IsOutbound ? "to" : "from")} {RemotePreamble}";

    /// <summary>Starts the read and write loops; called once, after the handshake.</summary>
    internal void Start() => _ = RunAsync();

    private async ValueTask SendSlowAsync(Message message, CancellationToken cancellationToken)
    {
        ChannelWriter<Message> writer = _sendQueue.Writer;
        while (await writer.WaitToWriteAsync(cancellationToken).ConfigureAwait(false))
        {
            if (writer.TryWrite(message))
            {
                return;
            }
        }

        throw CreateClosedException();
    }

    private ConnectionClosedException CreateClosedException() =>
        new($"The {this} is closed.", Volatile.Read(ref _closeReason));

    private const int StateOpen = 0;
    private const int StateClosed = 1;
}
