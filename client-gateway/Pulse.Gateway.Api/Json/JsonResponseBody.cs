using System.Buffers;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Http;

namespace Pulse.Gateway.Api.Json;

/// <summary>
/// Writes a JSON response body with its Content-Length (so compression can skip small bodies), serialized
/// into a pooled buffer. <see cref="JsonSerializer.SerializeToUtf8Bytes{TValue}(TValue, JsonTypeInfo{TValue})"/>
/// would allocate the whole body once more per response; a 1,000-check batch answer is about 85 KB, which
/// lands on the large-object heap and brings on full collections under load.
/// </summary>
public static class JsonResponseBody
{
    // Serializing is synchronous, so one writer per thread is never used by two responses at once.
    [ThreadStatic]
    private static Utf8JsonWriter? t_writer;

    [ThreadStatic]
    private static JsonSerializerOptions? t_writerOptions;

    /// <summary>Sets the status, content type and length, and writes <paramref name="value"/>.</summary>
    public static Task WriteAsync<T>(HttpContext context, T value, JsonTypeInfo<T> typeInfo, int status, string contentType)
    {
        ArgumentNullException.ThrowIfNull(typeInfo);
        return WriteAsync(
            context,
            (Value: value, TypeInfo: typeInfo),
            static (writer, state) => JsonSerializer.Serialize(writer, state.Value, state.TypeInfo),
            typeInfo.Options,
            sizeHint: 0,
            status,
            contentType);
    }

    /// <summary>
    /// Sets the status, content type and length, and writes the JSON that <paramref name="write"/> writes;
    /// for a body assembled from parts without building the object graph first. <paramref name="write"/>
    /// runs before this method first yields, so <paramref name="state"/> may be reused once it returns.
    /// </summary>
    /// <param name="context">The request's context.</param>
    /// <param name="state">What <paramref name="write"/> writes from.</param>
    /// <param name="write">Writes one complete JSON value.</param>
    /// <param name="options">The writer's settings (encoder, indentation, depth) come from these.</param>
    /// <param name="sizeHint">Expected body size in bytes, so a large body starts in one buffer of about its size; 0 when unknown.</param>
    /// <param name="status">The HTTP status code.</param>
    /// <param name="contentType">The Content-Type header.</param>
    public static async Task WriteAsync<TState>(
        HttpContext context, TState state, Action<Utf8JsonWriter, TState> write, JsonSerializerOptions options, int sizeHint, int status, string contentType)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(write);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfNegative(sizeHint);
        var buffer = new PooledBufferWriter(sizeHint);
        try
        {
            Serialize(buffer, state, write, options);
            HttpResponse response = context.Response;
            response.StatusCode = status;
            response.ContentType = contentType;
            response.ContentLength = buffer.WrittenCount;

            // Not RequestAborted: the request timeout cancels that token before its own 504 problem is
            // written through here, and the write would then fail into a 500. A write to a connection the
            // client closed completes without effect, and Kestrel's minimum data rate drops one that stops reading.
            await response.Body.WriteAsync(buffer.WrittenMemory, CancellationToken.None).ConfigureAwait(false);
        }
        finally
        {
            buffer.Dispose();
        }
    }

    private static void Serialize<TState>(PooledBufferWriter buffer, TState state, Action<Utf8JsonWriter, TState> write, JsonSerializerOptions options)
    {
        Utf8JsonWriter? writer = t_writer;
        if (writer is null || !ReferenceEquals(t_writerOptions, options))
        {
            writer = new Utf8JsonWriter(buffer, new JsonWriterOptions
            {
                Encoder = options.Encoder,
                Indented = options.WriteIndented,
                IndentCharacter = options.IndentCharacter,
                IndentSize = options.IndentSize,
                MaxDepth = options.MaxDepth,
                NewLine = options.NewLine,
            });
            t_writer = writer;
            t_writerOptions = options;
        }
        else
        {
            writer.Reset(buffer);
        }

        try
        {
            write(writer, state);
            writer.Flush();
        }
        finally
        {
            // Drops the writer's hold on the buffer, which goes back to the pool.
            writer.Reset();
        }
    }

    private sealed class PooledBufferWriter : IBufferWriter<byte>, IDisposable
    {
        private const int InitialSize = 512;
        private byte[] _buffer;

        // Doubling from a small start rents and copies every size on the way: nine buffers for a 100 KB body.
        public PooledBufferWriter(int sizeHint) => _buffer = ArrayPool<byte>.Shared.Rent(Math.Max(InitialSize, sizeHint));

        public int WrittenCount { get; private set; }

        public ReadOnlyMemory<byte> WrittenMemory => _buffer.AsMemory(0, WrittenCount);

        public void Advance(int count)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(count);
            if (count > _buffer.Length - WrittenCount)
            {
                throw new InvalidOperationException("Advanced past the end of the buffer.");
            }

            WrittenCount += count;
        }

        public Memory<byte> GetMemory(int sizeHint = 0)
        {
            Ensure(sizeHint);
            return _buffer.AsMemory(WrittenCount);
        }

        public Span<byte> GetSpan(int sizeHint = 0)
        {
            Ensure(sizeHint);
            return _buffer.AsSpan(WrittenCount);
        }

        public void Dispose()
        {
            byte[] buffer = _buffer;
            _buffer = [];
            if (buffer.Length > 0)
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }

        private void Ensure(int sizeHint)
        {
            int needed = Math.Max(sizeHint, 1);
            if (_buffer.Length - WrittenCount >= needed)
            {
                return;
            }

            int size = (int)Math.Min(Array.MaxLength, Math.Max((long)_buffer.Length * 2, (long)WrittenCount + needed));
            byte[] larger = ArrayPool<byte>.Shared.Rent(size);
            _buffer.AsSpan(0, WrittenCount).CopyTo(larger);
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = larger;
        }
    }
}
