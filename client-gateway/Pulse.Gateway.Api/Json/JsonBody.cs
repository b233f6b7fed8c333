using System.Buffers;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Net.Http.Headers;
using Pulse.Gateway.Api.Problems;
using Pulse.Gateway.Api.Security;

namespace Pulse.Gateway.Api.Json;

/// <summary>A request body read as JSON: the value, or the problem response to send instead.</summary>
/// <typeparam name="T">The body type.</typeparam>
public readonly struct JsonBody<T>
    where T : class
{
    internal JsonBody(T? value, IResult? problem)
    {
        Value = value;
        Problem = problem;
    }

    /// <summary>The body; null when <see cref="Problem"/> is set, or when an optional body was absent.</summary>
    public T? Value { get; }

    /// <summary>The 400/413/415 problem to return instead, or null when the body was read.</summary>
    public IResult? Problem { get; }
}

/// <summary>Reads a whole JSON request body.</summary>
/// <typeparam name="T">What the body is read as.</typeparam>
/// <param name="json">The body.</param>
/// <returns>The value, or null for a JSON <c>null</c>.</returns>
/// <exception cref="JsonException">The body is not valid JSON, or not of the expected shape.</exception>
public delegate T? JsonBodyParser<T>(ReadOnlySpan<byte> json)
    where T : class;

/// <summary>A request body read as bytes: an array of exactly the body's length, or the problem response to send instead.</summary>
public readonly struct RawJsonBody
{
    internal RawJsonBody(byte[]? bytes, IResult? problem)
    {
        Bytes = bytes;
        Problem = problem;
    }

    /// <summary>The body, owned by the caller (not pooled); null when <see cref="Problem"/> is set.</summary>
    public byte[]? Bytes { get; }

    /// <summary>The 400/413/415 problem to return instead, or null when the body was read.</summary>
    public IResult? Problem { get; }
}

/// <summary>
/// Reads JSON request bodies for endpoints: checks the content type (415), the size limit (413, chunked
/// bodies included, counted while reading; the endpoint's own limit when it has one, see
/// <see cref="RequestBodyLimits"/>), JSON syntax and types (400 naming the problem and, when the JSON path
/// names one, the field), with source-generated metadata only.
/// </summary>
public static class JsonBodyReader
{
    /// <summary>Reads the body as <typeparamref name="T"/>.</summary>
    /// <param name="context">The request.</param>
    /// <param name="typeInfo">Source-generated metadata of <typeparamref name="T"/>.</param>
    /// <param name="optional">Whether an empty body is allowed (then <see cref="JsonBody{T}.Value"/> is null).</param>
    public static ValueTask<JsonBody<T>> ReadAsync<T>(HttpContext context, JsonTypeInfo<T> typeInfo, bool optional = false)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(typeInfo);
        return ReadAsync(context, typeInfo, static (json, info) => JsonSerializer.Deserialize(json, info), optional);
    }

    /// <summary>
    /// Reads the body with an endpoint's own parser (a faster reader of its common shape, say), with the same
    /// content type, size and error handling as <see cref="ReadAsync{T}(HttpContext, JsonTypeInfo{T}, bool)"/>.
    /// </summary>
    /// <param name="context">The request.</param>
    /// <param name="parse">Reads the whole body; throws <see cref="JsonException"/> as the serializer does for a body it cannot read.</param>
    /// <param name="optional">Whether an empty body is allowed (then <see cref="JsonBody{T}.Value"/> is null).</param>
    public static ValueTask<JsonBody<T>> ReadAsync<T>(HttpContext context, JsonBodyParser<T> parse, bool optional = false)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(parse);
        return ReadAsync(context, parse, static (json, parser) => parser(json), optional);
    }

    private static async ValueTask<JsonBody<T>> ReadAsync<TState, T>(HttpContext context, TState state, ParserWithState<TState, T> parse, bool optional)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(context);
        if (CheckHeaders(context, optional, out bool empty) is { } refused)
        {
            return new JsonBody<T>(null, refused);
        }

        if (empty)
        {
            return default;
        }

        (byte[]? buffer, int length, IResult? problem) = await ReadPooledAsync(context).ConfigureAwait(false);
        if (problem is not null)
        {
            return new JsonBody<T>(null, problem);
        }

        try
        {
            if (length == 0)
            {
                return optional ? default : Fail<T>(StatusCodes.Status400BadRequest, "A JSON request body is required.");
            }

            T? value = parse(buffer.AsSpan(0, length), state);
            return value is null
                ? Fail<T>(StatusCodes.Status400BadRequest, "The request body must be a JSON object, not null.")
                : new JsonBody<T>(value, null);
        }
        catch (JsonException exception)
        {
            return Malformed<T>(exception);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer!);
        }
    }

    /// <summary>
    /// Reads a non-empty JSON body as it was sent, without parsing it: the same content type and size
    /// checks as <see cref="ReadAsync{T}(HttpContext, JsonTypeInfo{T}, bool)"/>. The caller validates the JSON (it may want the bytes verbatim).
    /// </summary>
    public static async ValueTask<RawJsonBody> ReadBytesAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (CheckHeaders(context, optional: false, out _) is { } refused)
        {
            return new RawJsonBody(null, refused);
        }

        if (context.Request.ContentLength is long declared)
        {
            // The body-limit middleware already refused a declared length over the limit, and Kestrel ends
            // the body at the declared length: read straight into an array of the right size.
            byte[] bytes = new byte[declared];
            int read = 0;
            try
            {
                while (read < bytes.Length)
                {
                    int n = await context.Request.Body.ReadAsync(bytes.AsMemory(read), context.RequestAborted).ConfigureAwait(false);
                    if (n == 0)
                    {
                        break;
                    }

                    read += n;
                }
            }
            catch (BadHttpRequestException exception)
            {
                return new RawJsonBody(null, ReadFailure(context, exception));
            }

            return read == bytes.Length
                ? new RawJsonBody(bytes, null)
                : new RawJsonBody(null, ApiResults.Problem(StatusCodes.Status400BadRequest, "The request body is shorter than its Content-Length."));
        }

        (byte[]? buffer, int length, IResult? problem) = await ReadPooledAsync(context).ConfigureAwait(false);
        if (problem is not null)
        {
            return new RawJsonBody(null, problem);
        }

        try
        {
            return length == 0
                ? new RawJsonBody(null, ApiResults.Problem(StatusCodes.Status400BadRequest, "A JSON request body is required."))
                : new RawJsonBody(buffer.AsSpan(0, length).ToArray(), null);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer!);
        }
    }

    private delegate T? ParserWithState<TState, T>(ReadOnlySpan<byte> json, TState state)
        where T : class;

    // 400 for a missing body (unless optional: then 'empty' is set), 415 for a non-JSON content type.
    private static IResult? CheckHeaders(HttpContext context, bool optional, out bool empty)
    {
        HttpRequest request = context.Request;
        bool hasBody = request.ContentLength is > 0
            || (request.ContentLength is null && context.Features.Get<IHttpRequestBodyDetectionFeature>()?.CanHaveBody == true);
        empty = !hasBody;
        if (!hasBody)
        {
            return optional ? null : ApiResults.Problem(StatusCodes.Status400BadRequest, "A JSON request body is required.");
        }

        if (!IsJson(request.ContentType))
        {
            return ApiResults.Problem(
                StatusCodes.Status415UnsupportedMediaType,
                $"The request body must be application/json; got '{(string.IsNullOrEmpty(request.ContentType) ? "no Content-Type" : request.ContentType)}'.");
        }

        return null;
    }

    // The whole body in a pooled buffer (the caller returns it), counted against the limit while reading.
    private static async ValueTask<(byte[]? Buffer, int Length, IResult? Problem)> ReadPooledAsync(HttpContext context)
    {
        HttpRequest request = context.Request;
        RequestBodyLimit bodyLimit = RequestBodyLimits.For(context);
        long limit = bodyLimit.Limit;
        byte[] buffer = ArrayPool<byte>.Shared.Rent((int)Math.Min(Math.Max(request.ContentLength ?? 4096, 256), limit + 1));
        int length = 0;
        try
        {
            while (true)
            {
                if (length == buffer.Length)
                {
                    byte[] larger = ArrayPool<byte>.Shared.Rent((int)Math.Min((long)buffer.Length * 2, limit + 1));
                    buffer.AsSpan(0, length).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = larger;
                }

                int read = await request.Body.ReadAsync(buffer.AsMemory(length), context.RequestAborted).ConfigureAwait(false);
                if (read == 0)
                {
                    return (buffer, length, null);
                }

                length += read;
                if (length > limit)
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                    return (null, 0, ApiResults.Problem(StatusCodes.Status413PayloadTooLarge, bodyLimit.TooLargeDetail));
                }
            }
        }
        catch (BadHttpRequestException exception)
        {
            ArrayPool<byte>.Shared.Return(buffer);
            return (null, 0, ReadFailure(context, exception));
        }
    }

    private static IResult ReadFailure(HttpContext context, BadHttpRequestException exception) =>
        exception.StatusCode == StatusCodes.Status413PayloadTooLarge

            // Kestrel's own per-request limit (set by the body-limit middleware) fired first.
            ? ApiResults.Problem(StatusCodes.Status413PayloadTooLarge, RequestBodyLimits.For(context).TooLargeDetail)
            : ApiResults.Problem(StatusCodes.Status400BadRequest, "The request body could not be read (malformed or incomplete).");

    /// <summary>Whether a content type is JSON (<c>application/json</c>, <c>application/*+json</c>), parameters allowed.</summary>
    public static bool IsJson(string? contentType)
    {
        // What nearly every client sends, without parsing it.
        if (string.Equals(contentType, "application/json", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        if (!MediaTypeHeaderValue.TryParse(contentType, out MediaTypeHeaderValue? media) || !media.MediaType.HasValue)
        {
            return false;
        }

        string type = media.MediaType.Value!;
        return type.Equals("application/json", StringComparison.OrdinalIgnoreCase)
            || (type.StartsWith("application/", StringComparison.OrdinalIgnoreCase) && type.EndsWith("+json", StringComparison.OrdinalIgnoreCase));
    }

    private static JsonBody<T> Malformed<T>(JsonException exception)
        where T : class
    {
        string where = exception.LineNumber is long line
            ? $" (line {line + 1}, byte {exception.BytePositionInLine ?? 0})"
            : string.Empty;
        string? field = FieldFromPath(exception.Path);

        // STJ's own message names .NET types for type mismatches; only syntax errors' first sentence is kept.
        string reason = exception.Message;
        int cut = reason.IndexOf(" Path:", StringComparison.Ordinal);
        if (cut > 0)
        {
            reason = reason[..cut];
        }

        bool syntax = !reason.StartsWith("The JSON value could not be converted", StringComparison.Ordinal)
            && !reason.Contains("System.", StringComparison.Ordinal);
        if (field is not null && !syntax)
        {
            return new JsonBody<T>(null, new ValidationErrors().Add(field, $"has the wrong JSON type{where}").ToResult());
        }

        string detail = syntax ? $"The request body is not valid JSON: {reason.TrimEnd('.')}{where}." : $"The request body does not match the expected JSON shape{where}.";
        return Fail<T>(StatusCodes.Status400BadRequest, detail);
    }

    /// <summary><c>$.requestQuota.limit</c> becomes <c>requestQuota.limit</c>; the root has no field.</summary>
    private static string? FieldFromPath(string? path)
    {
        if (string.IsNullOrEmpty(path) || path == "$")
        {
            return null;
        }

        return path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : path.TrimStart('$');
    }

    private static JsonBody<T> Fail<T>(int status, string detail)
        where T : class =>
        new(null, ApiResults.Problem(status, detail));
}
