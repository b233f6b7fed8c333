// The gateway's REST API arrives with the cluster client (runtime part 2) and the services built on it.
// Until then it is a bare host that proves the project builds and answers its liveness probe.
WebApplicationBuilder builder = WebApplication.CreateSlimBuilder(args);
builder.WebHost.UseUrls(Environment.GetEnvironmentVariable("PULSE_GATEWAY_URL") ?? "http://127.0.0.1:5080");
builder.Services.AddHealthChecks();

WebApplication app = builder.Build();
app.MapHealthChecks("/health/live");
app.Run();
