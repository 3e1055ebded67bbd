// Starts the host's podman for the build without the sandbox and gives it the sample PostgreSQL
// image under the name the tests ask for (the host's podman, unlike the sandbox, takes names as
// they are). The service ends by itself after 15 idle minutes if verify.groovy never runs.
def run = { List<String> command ->
    def p = command.execute()
    def out = new StringBuilder(), err = new StringBuilder()
    p.consumeProcessOutput(out, err)
    p.waitFor()
    System.err.print(err)
    assert p.exitValue() == 0 : "${command.join(' ')} failed (${p.exitValue()}): ${err}"
    return out.toString()
}
def script = new File(repoDir, 'sandbox-image/host-tools/host-podman.sh').path
def images = run([new File(repoDir, 'sandbox-image/samples/build.sh').path]).readLines().last().trim()
run([script, 'stop', hostPodmanDir])
println run([script, 'start', hostPodmanDir, '900']).trim()
run([script, 'load', hostPodmanDir, "${images}/postgres.tar".toString(), 'docker.io/library/postgres:16-alpine'])
return true
