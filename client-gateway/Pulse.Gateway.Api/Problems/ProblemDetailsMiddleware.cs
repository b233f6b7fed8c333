using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Pulse.Gateway.Api.Logging;
using Pulse.Runtime;

namespace Pulse.Gateway.Api.Problems;

/// <summary>
/// Makes every error a problem details document: an exception becomes a 500 that names only the trace
/// id (the exception is logged, never sent), a bad request the server itself rejected becomes its 4xx,
/// and an error status without a body (unknown route 404, 405, ...) gets a body.
/// </summary>
internal sealed class ProblemDetailsMiddleware(RequestDelegate next, ILogger<ProblemDetailsMiddleware> logger)
{
    public async Task InvokeAsync(HttpContext context)
    {
        try
        {
            await next(context).ConfigureAwait(false);
        }
        catch (BadHttpRequestException exception)
        {
            // Kestrel's own request checks (size limits, malformed framing): the client's fault, not a 500.
            if (context.Response.HasStarted)
            {
                throw;
            }

            context.Response.Clear();
            await ProblemResponses.WriteAsync(context, exception.StatusCode, exception.StatusCode == StatusCodes.Status413PayloadTooLarge
                ? "The request body exceeds the size limit."
                : "The request could not be read.").ConfigureAwait(false);
            return;
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client went away (a request timeout is answered by the timeout middleware before this).
            return;
        }
        catch (SiloUnavailableException) when (!context.Response.HasStarted)
        {
            // No silo to take the call (no cluster configured, or the cluster is stopping): retry later.
            context.Response.Clear();
            context.Response.Headers.RetryAfter = "1";
            await ProblemResponses.WriteAsync(context, StatusCodes.Status503ServiceUnavailable, "The cluster is not available; retry later.").ConfigureAwait(false);
            return;
        }
        catch (Exception exception) when (IsStoreUnavailable(exception) && !context.Response.HasStarted)
        {
            // The grain store is down or unreachable (directly, or while a grain activated): nothing was
            // acknowledged, and the same request may succeed later. Logged, since operators need to know.
            GatewayApiLog.StoreUnavailable(logger, exception, context.Request.Method, context.Request.Path.Value ?? "/");
            context.Response.Clear();
            context.Response.Headers.RetryAfter = "1";
            await ProblemResponses.WriteAsync(context, StatusCodes.Status503ServiceUnavailable, "The store is not available; retry later.").ConfigureAwait(false);
            return;
        }
        catch (TimeoutException) when (!context.Response.HasStarted)
        {
            context.Response.Clear();
            await ProblemResponses.WriteAsync(context, StatusCodes.Status504GatewayTimeout, "A call into the cluster timed out.").ConfigureAwait(false);
            return;
        }
        catch (Exception exception)
        {
            string traceId = System.Diagnostics.Activity.Current?.Id ?? context.TraceIdentifier;
            GatewayApiLog.UnhandledError(logger, exception, context.Request.Method, context.Request.Path.Value ?? "/", traceId);
            if (context.Response.HasStarted)
            {
                throw;
            }

            context.Response.Clear();
            await ProblemResponses.WriteAsync(
                context,
                StatusCodes.Status500InternalServerError,
                $"An unexpected error occurred; it was logged with trace id {traceId}.").ConfigureAwait(false);
            return;
        }

        HttpResponse response = context.Response;
        if (response.StatusCode >= 400 && !response.HasStarted && response.ContentLength is null && string.IsNullOrEmpty(response.ContentType))
        {
            await ProblemResponses.WriteAsync(context, response.StatusCode, DetailFor(context)).ConfigureAwait(false);
        }
    }

    private static bool IsStoreUnavailable(Exception exception)
    {
        for (Exception? current = exception; current is not null; current = current.InnerException)
        {
            if (current is GrainStorageException)
            {
                return true;
            }
        }

        return false;
    }

    private static string DetailFor(HttpContext context) => context.Response.StatusCode switch
    {
        StatusCodes.Status404NotFound => $"No resource at {context.Request.Path}.",
        StatusCodes.Status405MethodNotAllowed => $"{context.Request.Method} is not allowed on {context.Request.Path}; allowed: {context.Response.Headers.Allow}.",
        StatusCodes.Status415UnsupportedMediaType => "The request's Content-Type is not supported here; send application/json.",
        _ => "The request failed.",
    };
}
