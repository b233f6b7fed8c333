using System.Buffers;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;
using Pulse.Gateway.Api.Hosting;
using Pulse.Gateway.Api.Problems;

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

/// <summary>
/// Reads JSON request bodies for endpoints: checks the content type (415), the size limit (413, chunked
/// bodies included, counted while reading), JSON syntax and types (400 naming the problem and, when the
/// JSON path names one, the field), with source-generated metadata only.
/// </summary>
public static class JsonBodyReader
{
    /// <summary>Reads the body as <typeparamref name="T"/>.</summary>
    /// <param name="context">The request.</param>
    /// <param name="typeInfo">Source-generated metadata of <typeparamref name="T"/>.</param>
    /// <param name="optional">Whether an empty body is allowed (then <see cref="JsonBody{T}.Value"/> is null).</param>
    public static async ValueTask<JsonBody<T>> ReadAsync<T>(HttpContext context, JsonTypeInfo<T> typeInfo, bool optional = false)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(typeInfo);
        HttpRequest request = context.Request;
        bool hasBody = request.ContentLength is > 0
            || (request.ContentLength is null && context.Features.Get<IHttpRequestBodyDetectionFeature>()?.CanHaveBody == true);
        if (!hasBody)
        {
            return optional ? default : Fail<T>(StatusCodes.Status400BadRequest, "A JSON request body is required.");
        }

        if (!IsJson(request.ContentType))
        {
            return Fail<T>(
                StatusCodes.Status415UnsupportedMediaType,
                $"The request body must be application/json; got '{(string.IsNullOrEmpty(request.ContentType) ? "no Content-Type" : request.ContentType)}'.");
        }

        long limit = context.RequestServices.GetService<IOptions<GatewayApiOptions>>()?.Value.MaxRequestBodyBytes ?? GatewayApiOptions.DefaultMaxRequestBodyBytes;
        byte[] buffer = ArrayPool<byte>.Shared.Rent((int)Math.Min(Math.Max(request.ContentLength ?? 4096, 256), limit + 1));
        int length = 0;
        try
        {
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
                        break;
                    }

                    length += read;
                    if (length > limit)
                    {
                        return TooLarge<T>(limit);
                    }
                }
            }
            catch (BadHttpRequestException exception) when (exception.StatusCode == StatusCodes.Status413PayloadTooLarge)
            {
                // Kestrel's own per-request limit (set by the body-limit middleware) fired first.
                return TooLarge<T>(limit);
            }
            catch (BadHttpRequestException)
            {
                return Fail<T>(StatusCodes.Status400BadRequest, "The request body could not be read (malformed or incomplete).");
            }

            if (length == 0)
            {
                return optional ? default : Fail<T>(StatusCodes.Status400BadRequest, "A JSON request body is required.");
            }

            T? value = JsonSerializer.Deserialize(buffer.AsSpan(0, length), typeInfo);
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
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Whether a content type is JSON (<c>application/json</c>, <c>application/*+json</c>), parameters allowed.</summary>
    public static bool IsJson(string? contentType)
    {
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

    private static JsonBody<T> TooLarge<T>(long limit)
        where T : class =>
        Fail<T>(StatusCodes.Status413PayloadTooLarge, $"The request body exceeds the limit of {limit} bytes.");

    private static JsonBody<T> Fail<T>(int status, string detail)
        where T : class =>
        new(null, ApiResults.Problem(status, detail));
}
