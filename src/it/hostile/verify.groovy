// Checks, from outside, that every attack of the hostile project was contained: the host's files,
// environment and listener are untouched, no qemu of this build survives, the ordinary classes
// passed, and each attacked class is reported with a cause a person understands. The strict setup
// runs each Failsafe fork in a sandbox; a fork that dies (System.exit, halt, kernel panic, timeout)
// is recorded in its execution's summary (target/hostile-summaries/) and the fork launcher says why
// on the build log. Throws (fails the Invoker build) on any problem. Writes the table
// | attack | expected | observed | to the build log and to target/attack-table.md.
import groovy.xml.XmlSlurper
import java.security.MessageDigest

def target = new File(basedir, 'target')
def state = new File(target, 'hostile-setup')
def problems = []
def rows = []
def fail = { String what -> problems << what; println "[verify] FAIL ${what}" }

def props = { File f -> def p = new Properties(); f.withInputStream { p.load(it) }; p }
assert new File(state, 'setup.properties').isFile() : "the hostile setup did not run (no ${state}/setup.properties)"
def setup = props(new File(state, 'setup.properties'))
def invokerProps = props(new File(basedir, 'invoker.properties'))
def envSecret = invokerProps.getProperty('invoker.environmentVariables.HOSTILE_SECRET').trim()
def secretFile = new File(setup.getProperty('secret.path'))
def fileSecret = secretFile.isFile() ? secretFile.text.trim() : null
def sha256 = { File f ->
    if (!f.exists()) return 'absent'
    if (!f.canRead()) return 'unreadable'
    def md = MessageDigest.getInstance('SHA-256')
    f.withInputStream { s -> byte[] b = new byte[1 << 16]; int n; while ((n = s.read(b)) > 0) md.update(b, 0, n) }
    md.digest().encodeHex().toString()
}
def elapsedSeconds = (System.currentTimeMillis() - (setup.getProperty('start.millis') as long)) / 1000.0

try {
    if (fileSecret == null) fail("the planted secret ${secretFile} is gone before the check")

    // ---- Surefire reports --------------------------------------------------------------------
    def reports = new File(target, 'surefire-reports')
    assert reports.isDirectory() : "no Surefire reports in ${reports}: the test run did not complete"
    def results = [:]   // class -> [method -> [status, message, text]]
    def outputs = [:]   // class -> all stdout/stderr text
    reports.eachFileMatch(~/TEST-.*\.xml/) { f ->
        def suite = new XmlSlurper().parse(f)
        suite.testcase.each { tc ->
            def cls = tc.@classname.text()
            def name = tc.@name.text().replaceAll(/\(.*$/, '') ?: '(class)'
            def problem = tc.failure.size() ? tc.failure[0] : tc.error.size() ? tc.error[0] : null
            def status = tc.failure.size() ? 'failed' : tc.error.size() ? 'error' : tc.skipped.size() ? 'skipped' : 'passed'
            def message = problem == null ? '' : (problem.@message.text() ?: problem.text().readLines().find { it.trim() } ?: '')
            results.computeIfAbsent(cls) { [:] }[name] = [status: status, message: message, text: problem == null ? '' : problem.text()]
            def out = outputs.computeIfAbsent(cls) { new StringBuilder() }
            out << tc.'system-out'.text() << '\n' << tc.'system-err'.text() << '\n'
        }
        def cls = suite.@name.text()
        outputs.computeIfAbsent(cls) { new StringBuilder() } << suite.'system-out'.text() << '\n' << suite.'system-err'.text()
    }
    reports.eachFileMatch(~/.*-output\.txt/) { f ->
        def cls = f.name.replaceAll(/-output\.txt$/, '')
        if (f.length() < 64L << 20) outputs.computeIfAbsent(cls) { new StringBuilder() } << f.text
    }
    println "[verify] classes reported: ${results.keySet().sort()}"
    def P = 'com.example.hostile.'
    def cls = { String simple -> results[P + simple] }
    def summary = { String simple ->
        def r = cls(simple)
        if (r == null) return 'not reported'
        r.collect { m, v -> "${m}: ${v.status}" + (v.message ? " (${oneLine(v.message)})" : '') }.join('; ')
    }
    def worst = { String simple ->
        def r = cls(simple)
        r == null ? null : r.values().find { it.status in ['failed', 'error'] }
    }
    def allPassed = { String simple, List<String> methods ->
        def r = cls(simple)
        r != null && methods.every { r[it]?.status == 'passed' }
    }
    def out = { String simple -> (outputs[P + simple] ?: '').toString() }

    // ---- crashed forks: Failsafe's summaries name the crashed class and its exit code ---------------
    def crashes = [:]   // simple class name -> [exit: code, text: the crash message]
    def summaries = new File(target, 'hostile-summaries')
    // an execution of one class (isolated-<Class>.xml, and timeout.xml for SpinForeverTest) names no class
    // when its fork ends with an error instead of a crash (an OutOfMemoryError JUnit treats as fatal)
    def soleClass = { File f -> f.name == 'timeout.xml' ? 'SpinForeverTest' : (f.name =~ /^isolated-(\w+)\.xml$/).with { it.find() ? it.group(1) : null } }
    if (summaries.isDirectory()) {
        summaries.eachFileMatch(~/.*\.xml/) { f ->
            def message = new XmlSlurper().parse(f).failureMessage.text()
            message.split(/(?=The forked VM terminated|There was a timeout|There was an error in the forked process)/).each { block ->
                if (!block.trim()) return
                def exit = (block =~ /Process Exit Code: (\d+)/).with { it.find() ? it.group(1) : null }
                def named = (block =~ /(?m)^\s*com\.example\.hostile\.(\w+)\s*$/).collect { it[1] }
                if (named.isEmpty() && soleClass(f) != null) named = [soleClass(f)]
                named.each { crashes[it] = [exit: exit, text: block] }
            }
        }
    }
    println "[verify] crashed forks: ${crashes.collectEntries { k, v -> [k, v.exit] }}"
    def buildLogText = new File(basedir, 'build.log').with { it.isFile() ? it.text : '' }
    def crashed = { String simple ->
        def c = crashes[simple]
        c == null ? 'no crash recorded'
                : c.exit != null ? "fork exited with status ${c.exit}"
                : "fork failed: ${oneLine(c.text.readLines().drop(1).find { it.trim() } ?: c.text)}"
    }
    def row = { String attack, String expected, String observed, boolean ok ->
        rows << [attack, expected, (ok ? '' : '**NOT CONTAINED** ') + observed]
        if (!ok) fail("${attack}: expected ${expected}; observed ${observed}")
    }

    // ---- ordinary classes --------------------------------------------------------------------
    row('ordinary class, run VM (`NormalTest`)', 'passes', summary('NormalTest'),
            allPassed('NormalTest', ['addsNumbers', 'recordsTheKernelItRunsOn']) && cls('NormalTest').size() == 2)
    row('ordinary class after the attacks, own VM (`ZzNormalAfterAttacksTest`)', 'passes', summary('ZzNormalAfterAttacksTest'),
            allPassed('ZzNormalAfterAttacksTest', ['stillWorks']))

    // ---- host files --------------------------------------------------------------------------
    def leaks = { String secret ->
        // every file under target/ but the setup's own state, and the build log
        def hits = []
        def files = []
        target.eachFileRecurse { if (it.isFile() && !it.path.startsWith(state.path)) files << it }
        def log = new File(basedir, 'build.log'); if (log.isFile()) files << log
        byte[] needle = secret.getBytes('UTF-8')
        files.each { f ->
            f.withInputStream { s ->
                byte[] buf = new byte[8 << 20]; int have = 0; int n
                def needleText = new String(needle, 'ISO-8859-1')
                while ((n = s.read(buf, have, buf.length - have)) > 0) {
                    int total = have + n
                    if (new String(buf, 0, total, 'ISO-8859-1').contains(needleText)) { hits << f.path; break }
                    int keep = Math.min(needle.length - 1, total)   // a match may straddle two reads
                    System.arraycopy(buf, total - keep, buf, 0, keep)
                    have = keep
                }
            }
        }
        hits.unique()
    }
    def fileLeaks = fileSecret == null ? [] : leaks(fileSecret)
    row('read a secret file planted on the host (`ReadHostSecretsTest`)',
            'not visible in the guest; content in no report or log',
            "${summary('ReadHostSecretsTest').split('; ').find { it.startsWith('plantedSecretFileIsNotReachable') }}; content found in: ${fileLeaks ?: 'nothing'}",
            cls('ReadHostSecretsTest')?.plantedSecretFileIsNotReachable?.status == 'passed' && fileLeaks.isEmpty() && fileSecret != null)

    def guestShadow = (out('ReadHostSecretsTest') =~ /HOSTILE SHADOW-SHA256=(\S+)/).collect { it[1] }
    def hostShadow = setup.getProperty('shadow.sha256')
    row('read the host\'s `/etc/shadow`', 'the guest reads only its own (hash differs from the host\'s)',
            "guest sha256 ${guestShadow.collect { it.take(12) }}, host ${hostShadow.take(12)}",
            !guestShadow.isEmpty() && !guestShadow.contains(hostShadow) && !(hostShadow in ['absent', 'unreadable']))

    def m2Lines = (out('ReadHostSecretsTest') =~ /HOSTILE M2-SETTINGS path=(\S+) exists=(\S+)/).collect { "${it[1]}=${it[2]}" }
    row('read `~/.m2/settings.xml` (and settings-security.xml)', 'absent in the guest',
            "${cls('ReadHostSecretsTest')?.mavenSettingsAreNotReachable?.status}; ${m2Lines.join(', ')} (host file: ${setup.getProperty('m2.settings.sha256') == 'absent' ? 'none on this host' : 'present'})",
            cls('ReadHostSecretsTest')?.mavenSettingsAreNotReachable?.status == 'passed' && m2Lines.size() >= 3 && m2Lines.every { it.endsWith('=false') })

    def envLeaks = leaks(envSecret)
    row('read a host environment variable (`HOSTILE_SECRET`)', 'unset in every guest process; value in no report',
            "${cls('ReadHostSecretsTest')?.hostEnvironmentIsNotVisible?.status}; value found in: ${envLeaks ?: 'nothing'}",
            cls('ReadHostSecretsTest')?.hostEnvironmentIsNotVisible?.status == 'passed' && envLeaks.isEmpty())

    // ---- writes into shared files ------------------------------------------------------------
    def before = new File(state, 'before.sha256').readLines().findAll { it.trim() }.collect { it.split('  ', 2) }
    def changed = before.findAll { hp -> sha256(new File(hp[1])) != hp[0] }.collect { it[1] }
    def testClasses = new File(target, 'test-classes')
    def planted = []
    testClasses.eachFileRecurse { if (it.name.startsWith('planted-by-hostile')) planted << it.path }
    row('write into the shared files (the class path at its host paths, `/run/msb/host`, `/run/msb/cp`, also after `mount -o remount,rw`) (`WriteSharedFilesTest`)',
            'refused; host `target/test-classes` unchanged',
            "${cls('WriteSharedFilesTest')?.classpathIsReadOnly?.status}; ${before.size() - 1} host files hashed, changed: ${changed ?: 'none'}, planted: ${planted ?: 'none'}",
            cls('WriteSharedFilesTest')?.classpathIsReadOnly?.status == 'passed' && changed.isEmpty() && planted.isEmpty())
    def repoJar = before[0][1]
    def guestRepoWrites = (out('WriteSharedFilesTest') =~ /HOSTILE local-repo-write \S+ ([^\n]+)/).collect { it[1].take(40) }
    row('write into the local Maven repository (host path and `~/.m2`)', 'lands on the guest\'s own disk at most; host jar unchanged',
            "guest: ${guestRepoWrites}; host jar ${changed.contains(repoJar) ? 'CHANGED' : 'unchanged'}",
            cls('WriteSharedFilesTest')?.localRepositoryIsNotTheHosts?.status == 'passed' && !changed.contains(repoJar))

    // ---- network -----------------------------------------------------------------------------
    def connections = new File(state, 'connections.log')
    def seen = connections.isFile() ? connections.readLines().findAll { it.trim() } : null
    def attempts = (out('NetworkEscapeTest') =~ /HOSTILE connect (\S+) (CONNECTED|failed: [^\n]{0,60})/).collect { "${it[1]} ${it[2]}" }
    row('connect to the host listener (127.0.0.1, host address 10.0.2.2) and 1.1.1.1:80 (`NetworkEscapeTest`)',
            'every connect fails; the listener sees nothing; only `lo` in the guest',
            "${summary('NetworkEscapeTest')}; listener connections: ${seen == null ? 'NO LOG' : seen.size()}; ${attempts.join(' / ')}",
            allPassed('NetworkEscapeTest', ['noConnectionLeavesTheVm', 'onlyLoopbackExists']) && seen != null && seen.isEmpty())

    // ---- resource exhaustion and faults (PER_CLASS) ------------------------------------------
    def reported = { String simple -> cls(simple) != null && !cls(simple).isEmpty() }
    def causeMatches = { String simple, String regex ->
        def w = worst(simple)
        w != null && ((w.message + '\n' + w.text) =~ regex).find()
    }
    // the bomb runs in a guest cgroup of its own, so it takes every pid but cannot starve the test JVM of CPU:
    // the test ends at the same point on any machine
    def bomb = (out('ForkBombTest') =~ /HOSTILE (threads stopped at [^\n]{0,70}|fork bomb ran [^\n]{0,90})/).collect { it[1] }
    row('fork bomb + threads until failure (`ForkBombTest`, per class)', 'the bomb takes the guest\'s pids, the JVM\'s threads stop at the limit, the test passes; VM and host survive; the run goes on',
            summary('ForkBombTest') + "; ${bomb ?: 'no record'}",
            allPassed('ForkBombTest', ['forkBomb']) && bomb.any { it.startsWith('threads stopped at') })
    def hog = (out('MemoryHogTest') =~ /HOSTILE native-hog ([^\n]{0,80})/).collect { it[1] }
    row('allocate memory until killed (`MemoryHogTest`, 1g guest, own fork)', 'failed with an out-of-memory or died cause',
            summary('MemoryHogTest') + "; ${crashed('MemoryHogTest')}; child process: ${hog ?: 'no record'}",
            causeMatches('MemoryHogTest', /(?i)OutOfMemory|out of memory|oom|died|killed|closed/) || crashes['MemoryHogTest'] != null)
    // a 512 MiB scratch disk is full in seconds on any machine: ENOSPC is certain
    def enospc = (out('DiskFillTest') =~ /No space left[^\n]{0,40}/).find()
    row('fill the disk (`DiskFillTest`, 512m scratch disk, own fork)', 'ENOSPC inside the guest; the test passes',
            summary('DiskFillTest') + '; ' + (enospc ? 'guest saw ENOSPC' : 'no ENOSPC seen'),
            allPassed('DiskFillTest', ['fillTheDisk']) && enospc)
    def timeoutLine = (buildLogText =~ /\[microvm-sandbox\] jvmRun\d+: the fork passed its timeout[^\n]*/).with { it.find() ? it.group() : null }
    row('spin forever past the fork\'s timeout (`SpinForeverTest`, `microvm.sandbox.timeout` 2m)', 'killed; a crashed fork, the build log names the timeout',
            "${summary('SpinForeverTest')}; ${crashed('SpinForeverTest')}; log: ${timeoutLine ?: 'no timeout line'}",
            crashes['SpinForeverTest'] != null && timeoutLine != null)
    row('`System.exit(3)` in a test (`SystemExitTest`)', 'a crashed fork with status 3, not a hang',
            "${summary('SystemExitTest')}; ${crashed('SystemExitTest')}", crashes['SystemExitTest']?.exit == '3')
    row('`Runtime.halt(4)` in a test (`HaltTest`)', 'a crashed fork with status 4, not a hang',
            "${summary('HaltTest')}; ${crashed('HaltTest')}", crashes['HaltTest']?.exit == '4')
    def panicLine = (buildLogText =~ /\[microvm-sandbox\] jvmRun\d+: sandbox \S+ failed: [^\n]*the guest kernel crashed[^\n]*/).with { it.find() ? it.group() : null }
    row('crash the guest kernel, `echo c > /proc/sysrq-trigger` (`KernelPanicTest`)', 'a crashed fork; the build log names the kernel crash, with the console tail',
            "${crashed('KernelPanicTest')}; log: ${panicLine ? oneLine(panicLine) : 'no kernel crash line'}",
            crashes['KernelPanicTest'] != null && panicLine != null && buildLogText.contains('last lines of the guest console'))
    def floodFiles = []
    reports.eachFile { if (it.name.contains('StdoutFloodTest')) floodFiles << it }
    long floodBytes = floodFiles.sum(0L) { it.length() }
    def floodText = out('StdoutFloodTest')
    row('print 768 MiB to stdout, then raw stdout for 10 s (`StdoutFloodTest`)', 'the fork launcher (256 MiB heap) and Maven survive; report output bounded and marked truncated; the raw bytes dropped',
            "${summary('StdoutFloodTest')}; report files ${floodBytes >> 20} MiB; truncation note: ${floodText =~ /(?i)truncat/ ? 'yes' : 'no'}",
            reported('StdoutFloodTest') && floodBytes < (64L << 20) && (floodText =~ /(?i)output truncated/).find()
                    && buildLogText.contains("bytes of the fork's stdout that were not Surefire events"))
    def forged = results.values().any { it.keySet().any { m -> m.contains('forged') } }
    row('garbage and forged frames into the host channel (`ChannelForgeryTest`)', 'the forged events reach no other class; the run goes on',
            "${summary('ChannelForgeryTest')}; forged test in the reports: ${forged ? 'YES' : 'no'}; " +
                    ((out('ChannelForgeryTest') =~ /HOSTILE (wrote \d+ bytes to \S+|write to \S+ refused: [^\n]{0,30})/).collect { it[1] }.unique().take(4).join(' / ')),
            reported('ChannelForgeryTest') && !forged)

    def violation = (buildLogText =~ /: protocol violation: [^\n]{0,80}/).with { it.find() ? it.group() : null }
    def refused = (out('AgentChannelForgeryTest') =~ /HOSTILE agent channel refused: ([^\n]{0,60})/).with { it.find() ? it.group(1) : null }
    row('forged frames, then garbage, into the guest agent\'s channel, through the agent\'s /proc/PID/fd (`AgentChannelForgeryTest`)',
            'refused (the test JVM is not the agent; the port opens once), or the sandbox is cut naming the protocol violation; the forged events reach no report',
            "${summary('AgentChannelForgeryTest')}; ${refused ? 'refused: ' + refused : 'host log: ' + (violation ?: 'no protocol violation logged')}; forged test in the reports: ${forged ? 'YES' : 'no'}",
            (refused != null || violation != null) && !forged)

    // ---- cleanup, time, memory ---------------------------------------------------------------
    def vmTmp = new File(setup.getProperty('vm.tmpdir'))
    def qemu = 'pgrep -af qemu-system'.execute().text.readLines().findAll { it.contains(vmTmp.path) || it.contains(basedir.path) }
    // any other process still naming this build's folders (a test JVM, a helper the guest side left)
    def self = ProcessHandle.current().pid()
    def strays = []
    ProcessHandle.allProcesses().iterator().each { ProcessHandle ph ->
        String c = ph.info().commandLine().orElse('')
        if (ph.pid() != self && (c.contains(basedir.path) || c.contains(vmTmp.path))) strays << "${ph.pid()} ${ph.info().command().orElse('?')}"
    }
    def runDirs = []
    if (vmTmp.isDirectory()) vmTmp.eachFileRecurse { if (it.isDirectory() && it.name.startsWith('vm-')) runDirs << it.name }
    row('no stray process after the build', 'no qemu, test JVM or other process of this build left; no VM run folder left',
            "qemu processes: ${qemu.size()}; other processes naming the build: ${strays.size()}${strays ? ' ' + strays.take(3) : ''}; run folders left: ${runDirs.size()}",
            qemu.isEmpty() && strays.isEmpty() && runDirs.isEmpty())
    if (qemu.isEmpty() && runDirs.isEmpty()) vmTmp.deleteDir()
    // measured by the setup's own code, as it measured before the run
    def measure = [new File(System.getProperty('java.home'), 'bin/java').path,
                   new File(basedir, 'src/setup/HostileSetup.java').path, 'memory', state.path, vmTmp.path].execute()
    def measureOut = new StringBuilder()
    measure.consumeProcessOutput(measureOut, measureOut)
    assert measure.waitFor() == 0 : "the host memory measurement failed: ${measureOut}"
    def memory = props(new File(state, 'memory.properties'))
    long memNow = memory.getProperty('memavailable.kb') as long
    long foreignNow = memory.getProperty('foreign.kb') as long
    long memBefore = setup.getProperty('memavailable.kb.before') as long
    long foreignBefore = setup.getProperty('foreign.kb.before') as long
    // other Invoker builds may run alongside: what their qemu and JVMs hold at either end is added back
    def adjBefore = memBefore + foreignBefore
    def adjNow = memNow + foreignNow
    // the margin covers the Maven JVM running this check (its heap grows) and the page cache
    row('host memory after the run', 'MemAvailable, plus the anonymous and shared memory other builds\' qemu and JVMs hold, back within 2 GiB of its value before the run',
            String.format('host MemAvailable %d MiB before, %d MiB after; other builds held %d MiB before, %d MiB after',
                    memBefore >> 10, memNow >> 10, foreignBefore >> 10, foreignNow >> 10),
            adjNow >= adjBefore - (2L << 20))
    // the Invoker's own ceiling (integration-tests/pom.xml, it.timeoutInSeconds), passed in as a script variable
    def ceiling = binding.hasVariable('itTimeoutSeconds') ? (itTimeoutSeconds as long) : 3600L
    row('the whole run', "ends within the Invoker timeout (${ceiling} s)",
            String.format('%.0f s from setup to check', elapsedSeconds), elapsedSeconds < ceiling)
} finally {
    secretFile.delete()
    def table = new StringBuilder('| attack | expected | observed |\n| --- | --- | --- |\n')
    rows.each { r -> table << '| ' << r.collect { it.toString().replace('|', '\\|').replace('\n', ' ') }.join(' | ') << ' |\n' }
    new File(target, 'attack-table.md').text = table.toString()
    println "[verify] hostile: attack table (also in ${new File(target, 'attack-table.md')}):\n${table}"
}

if (problems) {
    throw new AssertionError("hostile: ${problems.size()} attack(s) not contained: " + problems.join('; '))
}
println "[verify] hostile: all ${rows.size()} checks contained"
return true

String oneLine(String s) {
    def line = s.readLines().find { it.trim() } ?: ''
    line.length() > 160 ? line.take(157) + '...' : line
}
