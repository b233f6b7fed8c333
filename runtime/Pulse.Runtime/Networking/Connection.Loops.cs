using System.Buffers;
using System.IO.Pipelines;
using System.Threading.Channels;
using Pulse.Runtime.Messaging;

namespace Pulse.Runtime.Networking;

/// <summary>The read loop, the write loop, and what happens when both have ended.</summary>
public sealed partial class Connection
{
    // Flushing at this many buffered bytes bounds the memory one batch holds and lets the socket
    // start sending while the rest of a long queue is still being serialized.
    private const int FlushThresholdBytes = 64 * 1024;

    // Messages handed to the pipe since the last successful flush, reported if the flush fails.
    private readonly List<Message> _unflushed = [];

    // Requests delivered by the read loop, and answers taken by the write loop: every request on a
    // connection is answered on it, so the difference is the answers still to come.
    private long _requestsReceived;
    private long _repliesWritten;

    private async Task RunAsync()
    {
        // Neither loop should run on the thread that finished the handshake.
        await Task.Yield();
        Task reading = ReadLoopAsync();
        Task writing = WriteLoopAsync();
        await reading.ConfigureAwait(false);
        await writing.ConfigureAwait(false);
        Finish();
    }

    private async Task ReadLoopAsync()
    {
        PipeReader input = _transport.Input;
        Exception? error = null;
        try
        {
            while (true)
            {
                ReadResult result = await input.ReadAsync().ConfigureAwait(false);
                ReadOnlySequence<byte> buffer = result.Buffer;
                try
                {
                    while (MessageSerializer.TryReadFrame(ref buffer, _maxFrameBytes, out Message? message))
                    {
                        Deliver(message);
                    }
                }
                catch (MessageFormatException ex)
                {
                    // The next frame's position cannot be trusted after a corrupt one.
                    NetworkingLog.CorruptFrame(_logger, Id, RemotePreamble, ex);
                    error = ex;
                    return;
                }

                if (result.IsCompleted || result.IsCanceled)
                {
                    if (!buffer.IsEmpty && IsOpen)
                    {
                        error = new MessageFormatException($"The connection ended in the middle of a frame ({buffer.Length} bytes unread).");
                        NetworkingLog.CorruptFrame(_logger, Id, RemotePreamble, error);
                    }

                    return;
                }

                input.AdvanceTo(buffer.Start, buffer.End);
            }
        }
        catch (Exception ex) when (IsOpen)
        {
            error = ex;
        }
        catch (Exception)
        {
            // Closing the socket under a pending read is how Close stops this loop.
        }
        finally
        {
            Close(error);
        }
    }

    private void Deliver(Message message)
    {
        if (_faults.IsBlocked(_localSilo, _remoteSilo))
        {
            return;
        }

        if (message.ExpectsResponse)
        {
            // Only this loop writes it; the write loop reads it.
            Volatile.Write(ref _requestsReceived, _requestsReceived + 1);
        }

        try
        {
            _handler.OnMessage(message, this);
        }
        catch (Exception ex)
        {
            // A handler bug is not the peer's fault: keep the connection and the other calls on it.
            NetworkingLog.HandlerFailed(_logger, message, Id, ex);
        }
    }

    private async Task WriteLoopAsync()
    {
        ChannelReader<Message> queue = _sendQueue.Reader;
        PipeWriter output = _transport.Output;
        try
        {
            while (await queue.WaitToReadAsync().ConfigureAwait(false) && IsOpen)
            {
                bool full = WriteQueued(queue, output);

                // Requests this connection delivered and has not answered yet are usually turns already
                // queued on the pool: letting them run first puts their answers in this send instead of
                // one send each. Asked of this connection alone (a busy pool says nothing about it), at
                // most once per send, so a slow turn delays the others by one pass of the pool at most.
                if (!full && _unflushed.Count > 0 && Volatile.Read(ref _requestsReceived) > _repliesWritten)
                {
                    await Task.Yield();
                    WriteQueued(queue, output);
                }

                if (_unflushed.Count == 0)
                {
                    continue;
                }

                FlushResult result = await output.FlushAsync().ConfigureAwait(false);
                _unflushed.Clear();
                if (result.IsCompleted || result.IsCanceled)
                {
                    return;
                }
            }
        }
        catch (Exception ex)
        {
            Close(IsOpen ? ex : null);
        }
    }

    /// <summary>Writes queued messages into the pipe until the queue is empty or a flush is due; true for the latter.</summary>
    private bool WriteQueued(ChannelReader<Message> queue, PipeWriter output)
    {
        while (queue.TryRead(out Message? message))
        {
            if (message.Kind == MessageKind.Response && !message.Partial)
            {
                _repliesWritten++;
            }

            if (_faults.IsBlocked(_localSilo, _remoteSilo) || !TryWriteFrame(output, message))
            {
                continue;
            }

            _unflushed.Add(message);
            if (output.UnflushedBytes >= FlushThresholdBytes)
            {
                return true;
            }
        }

        return false;
    }

    private bool TryWriteFrame(PipeWriter output, Message message)
    {
        try
        {
            MessageSerializer.Write(output, message, _maxFrameBytes);
            return true;
        }
        catch (Exception ex) when (ex is MessageFormatException or ArgumentException)
        {
            // The serializer checks before writing anything, so the stream stays aligned on frames.
            NetworkingLog.SerializeFailed(_logger, message, Id, ex);
            ReportSendFailed(message, ex);
            return false;
        }
    }

    private void Finish()
    {
        _transport.Dispose();

        // A message queued between the state change and the completion in Close is still in the queue.
        _sendQueue.Writer.TryComplete();
        Exception? reason = _closeReason;
        if (_unflushed.Count > 0 || _sendQueue.Reader.Count > 0)
        {
            ConnectionClosedException failure = CreateClosedException();
            if (_unflushed.Count > 0)
            {
                ConnectionClosedException unknown = new(failure.Message, _closeReason, mayHaveBeenSent: true);
                foreach (Message message in _unflushed)
                {
                    ReportSendFailed(message, unknown);
                }
            }

            _unflushed.Clear();
            while (_sendQueue.Reader.TryRead(out Message? message))
            {
                ReportSendFailed(message, failure);
            }
        }

        if (reason is null)
        {
            NetworkingLog.ConnectionClosed(_logger, Id, RemotePreamble);
        }
        else
        {
            NetworkingLog.ConnectionClosedWithError(_logger, Id, RemotePreamble, reason.Message, reason);
        }

        try
        {
            _handler.OnConnectionClosed(this, reason);
        }
        catch (Exception ex)
        {
            NetworkingLog.HandlerCallbackFailed(_logger, Id, ex);
        }

        _completion.TrySetResult();
    }

    private void ReportSendFailed(Message message, Exception error)
    {
        try
        {
            _handler.OnSendFailed(message, this, error);
        }
        catch (Exception ex)
        {
            NetworkingLog.HandlerCallbackFailed(_logger, Id, ex);
        }
    }
}
