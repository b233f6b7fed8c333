using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Pulse.Runtime.Hosting;

/// <summary>Writes a health report as a small JSON document, so a probe failure says why (silo and gateway alike).</summary>
public static class HealthResponses
{
    /// <summary>
    /// Writes <c>{"status":"Unhealthy","checks":{"name":{"status":...,"description":...}}}</c> with the
    /// status code the health middleware chose (200 healthy, 503 unhealthy).
    /// </summary>
    public static async Task WriteJsonAsync(HttpContext context, HealthReport report)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(report);
        context.Response.ContentType = "application/json; charset=utf-8";

        // Utf8JsonWriter rather than a serializer: no reflection, and the shape is fixed.
        await using var writer = new Utf8JsonWriter(context.Response.Body);
        writer.WriteStartObject();
        writer.WriteString("status", report.Status.ToString());
        writer.WriteStartObject("checks");
        foreach ((string name, HealthReportEntry entry) in report.Entries)
        {
            writer.WriteStartObject(name);
            writer.WriteString("status", entry.Status.ToString());
            writer.WriteString("description", entry.Description);
            writer.WriteEndObject();
        }

        writer.WriteEndObject();
        writer.WriteEndObject();
        await writer.FlushAsync(context.RequestAborted);
    }
}
