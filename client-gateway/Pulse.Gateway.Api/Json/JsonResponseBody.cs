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
    public static async Task WriteAsync<T>(HttpContext context, T value, JsonTypeInfo<T> typeInfo, int status, string contentType)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(typeInfo);
        var buffer = new PooledBufferWriter();
        try
        {
            Serialize(buffer, value, typeInfo);
            HttpResponse response = context.Response;
            response.StatusCode = status;
            response.ContentType = contentType;
            response.ContentLength = buffer.WrittenCount;
            await response.Body.WriteAsync(buffer.WrittenMemory, context.RequestAborted).ConfigureAwait(false);
        }
        finally
        {
            buffer.Dispose();
        }
    }

    private static void Serialize<T>(PooledBufferWriter buffer, T value, JsonTypeInfo<T> typeInfo)
    {
        Utf8JsonWriter? writer = t_writer;
        if (writer is null || !ReferenceEquals(t_writerOptions, typeInfo.Options))
        {
            JsonSerializerOptions options = typeInfo.Options;
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
            JsonSerializer.Serialize(writer, value, typeInfo);
        }
        finally
        {
            // Drops the writer's hold on the buffer, which goes back to the pool.
            writer.Reset();
        }
    }

    /// <summary>An <see cref="IBufferWriter{T}"/> over arrays rented from the shared pool, doubled as it fills.</summary>
    private sealed class PooledBufferWriter : IBufferWriter<byte>, IDisposable
    {
        private const int InitialSize = 512;
        private byte[] _buffer = ArrayPool<byte>.Shared.Rent(InitialSize);

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
