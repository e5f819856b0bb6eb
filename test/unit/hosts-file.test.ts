// Unit tests for coord/config/hosts-file.ts: the examples of the several-machines and Slurm
// issues read into HostSpecs with their defaults, and every kind of mistake reported with its
// line, field path and wording, all of them at once.

import t from 'tap';
import { defaultLocalHost, type HostSpec, parseHostsFile } from '../../coord/config/hosts-file.js';
import { describeWindows } from '../../protocol/windows.js';

/** The hosts of a file that must read, or a failed assertion listing its errors. */
function hosts(text: string): HostSpec[] {
  const got = parseHostsFile(text, 'hosts.yaml');
  if ('errors' in got) throw new Error(`expected a valid file, got:\n${got.errors.join('\n')}`);
  return got.hosts;
}

function errors(text: string): string[] {
  const got = parseHostsFile(text, 'hosts.yaml');
  return 'errors' in got ? got.errors : [];
}

const EXAMPLE = `hosts:
  - name: local            # the coordinator's own machine
    slots: 4
    tags: [cpu]
  - name: h1
    ssh: h1                # an ssh destination
    ssh_options: [-F, /path/to/ssh_config]
    slots: 2
    tags: [gpu, openfoam]
    dir: /srv/jms
    node: node
  - name: cluster
    slurm:
      partition: debug
      account: lab
      max_pools: 8
    login: user@login-node
    tags: [big, cluster]
    dir: /scratch/jms
`;

t.test('the issues\' example reads, with every default filled in', async (t) => {
  t.strictSame(hosts(EXAMPLE), [
    { kind: 'local', name: 'local', tags: ['cpu'], slots: 4, dir: null, cost: 0, windows: null, suspendOutside: false, line: 2 },
    {
      kind: 'ssh', name: 'h1', tags: ['gpu', 'openfoam'], slots: 2, dir: '/srv/jms', cost: 1, windows: null, suspendOutside: false, line: 5,
      ssh: 'h1', sshOptions: ['-F', '/path/to/ssh_config'], node: 'node', cache: '~/.cache/jms',
    },
    {
      kind: 'slurm', name: 'cluster', tags: ['big', 'cluster'], slots: null, dir: '/scratch/jms', cost: 10, windows: null, suspendOutside: false, line: 12,
      slurm: { partition: 'debug', account: 'lab', qos: null, timeSec: null, cpus: null, maxPools: 8 },
      login: 'user@login-node', sshOptions: [], node: 'node', cache: '~/.cache/jms',
    },
  ]);
});

t.test('every key, and the forms each takes', async (t) => {
  const got = hosts(`hosts:
  - name: ws-2.lab
    ssh: alice@ws2
    ssh_options: -o BatchMode=yes -p 2222
    tags: gpu, openfoam gpu
    cost: 0.5
    windows: [mon-fri 19:00-08:00, sat-sun]
    suspend_outside: true
    dir: ~/jms
    node: /opt/node20/bin/node
    cache: /var/cache/jms
  - name: cl
    slurm: {partition: short, qos: normal, time: 1h30m, cpus: 4}
    cost: 3
`);
  const [local, ws, cl] = got;
  t.strictSame(local, defaultLocalHost(), 'a file without local gets it first, with defaults');
  t.equal(local?.line, 0, 'the added local host has line 0');
  t.match(ws, {
    kind: 'ssh', name: 'ws-2.lab', ssh: 'alice@ws2', sshOptions: ['-o', 'BatchMode=yes', '-p', '2222'], tags: ['gpu', 'openfoam'],
    cost: 0.5, suspendOutside: true, dir: '~/jms', node: '/opt/node20/bin/node', cache: '/var/cache/jms',
  });
  t.equal(ws?.windows === null || ws?.windows === undefined ? '' : describeWindows(ws.windows), 'mon-fri 19:00-08:00, sat-sun', 'windows as a list of items');
  t.match(cl, { kind: 'slurm', cost: 3, login: null, slurm: { partition: 'short', account: null, qos: 'normal', timeSec: 5400, cpus: 4, maxPools: 1 } });
  t.strictSame(hosts('hosts: []\n'), [defaultLocalHost()], 'an empty list: only the local host');
  t.strictSame(hosts('hosts:\n  - name: a\n    ssh: a\n  - name: local\n    cost: 5\n').map((h) => [h.name, h.cost]), [['a', 1], ['local', 5]], 'a local entry stays where it is written');
});

t.test('the example of a bad value, word for word', async (t) => {
  const text = `# lab hosts
hosts:
  - name: local
    slots: 4
  - name: h1
    ssh: h1
    slots: two
`;
  t.strictSame(errors(text), ["hosts.yaml:7: hosts[1].slots: must be a whole number of at least 1, not 'two'."]);
});

t.test('each kind of mistake, with its line and wording, all collected in line order', async (t) => {
  const text = `hosts:
  - name: local
    dir: /tmp/x
    ssh_options: [-v]
  - name: h1
    ssh: -oProxyCommand=evil
    slot: 2
    tags: [gpu, "open foam"]
  - name: h1
    ssh: h1b
  - name: "bad name"
    ssh: b
  - name: h3
  - name: h4
    ssh: h4
    slurm: {partition: p}
  - name: local
    ssh: somewhere
  - name: c1
    slurm: {partiton: p, max_pools: 0, time: forever}
    login: me@login
    cost: -1
  - name: c2
    slurm: {partition: "debug queue"}
    dir: scratch
    windows: weekdays
    suspend_outside: true
  - name: h5
    ssh: h5
    suspend_outside: true
    login: x
    zzzz: 1
  - ssh: nameless
  - just a string
`;
  const keysNote = 'the keys here are partition, account, qos, time, cpus, max_pools';
  t.strictSame(errors(text), [
    'hosts.yaml:3: hosts[0].dir: is not for the local host, which takes only name, tags, slots, cost, windows, suspend_outside; remove it.',
    'hosts.yaml:4: hosts[0].ssh_options: is not for the local host, which takes only name, tags, slots, cost, windows, suspend_outside; remove it.',
    "hosts.yaml:6: hosts[1].ssh: must be an ssh destination such as user@host or a Host of your ssh config, not '-oProxyCommand=evil'.",
    "hosts.yaml:7: hosts[1].slot: unknown key; did you mean 'slots'?",
    "hosts.yaml:8: hosts[1].tags[1]: must be a tag (letters, digits, '.', '_' and '-'), not 'open foam'.",
    "hosts.yaml:9: hosts[2].name: 'h1' is already the name of hosts[1] (line 5); give each host its own name.",
    "hosts.yaml:11: hosts[3].name: must be a host name (letters, digits, '.', '_' and '-', starting with a letter or digit), not 'bad name'.",
    "hosts.yaml:13: hosts[4]: host 'h3' needs ssh: <destination> or slurm: {partition: …}; only 'local' is the coordinator's own machine.",
    'hosts.yaml:16: hosts[5].slurm: a host is reached either over ssh: or through slurm:, not both; for a cluster behind a login node write login: instead of ssh:.',
    "hosts.yaml:17: hosts[6].name: 'local' is already the name of hosts[0] (line 2); give each host its own name.",
    "hosts.yaml:17: hosts[6].name: 'local' is the coordinator's own machine; give this ssh host another name.",
    `hosts.yaml:20: hosts[7].slurm.partiton: unknown key; did you mean 'partition'?`,
    'hosts.yaml:20: hosts[7].slurm.partition: is missing; write partition: <the Slurm partition to run pools in>.',
    "hosts.yaml:20: hosts[7].slurm.time: must be a duration such as 90 (seconds), 90s, 15m, 2h or 1h30m, not 'forever'.",
    "hosts.yaml:20: hosts[7].slurm.max_pools: must be a whole number of at least 1, not '0'.",
    "hosts.yaml:22: hosts[7].cost: must be a number from 0 to 1000000, not '-1'.",
    "hosts.yaml:24: hosts[8].slurm.partition: must be a Slurm name (letters, digits, '.', '_' and '-'), not 'debug queue'.",
    "hosts.yaml:25: hosts[8].dir: must be an absolute path or one starting with '~/', not 'scratch'.",
    "hosts.yaml:26: hosts[8].windows: 'weekdays' in run windows is not a day, a day range or a time range; write days as mon…sun or a range such as mon-fri, times as HH:MM-HH:MM, items separated by commas (e.g. 'mon-fri 19:00-08:00, sat-sun').",
    'hosts.yaml:30: hosts[9].suspend_outside: needs windows: to say when jobs may run; add windows: or remove suspend_outside.',
    'hosts.yaml:31: hosts[9].login: is only for slurm hosts; remove it.',
    `hosts.yaml:32: hosts[9].zzzz: unknown key; the keys here are name, tags, slots, cost, windows, suspend_outside, ssh, ssh_options, dir, node, cache, slurm, login.`,
    "hosts.yaml:33: hosts[10].name: is missing; write name: a host name (letters, digits, '.', '_' and '-', starting with a letter or digit).",
    "hosts.yaml:34: hosts[11]: must be a host: a map with a name and ssh: or slurm:, not 'just a string'.",
  ]);
  t.notMatch(errors(text).join('\n'), keysNote, 'a near miss gets a suggestion, not the list of keys');
});

t.test('a second host of the same name', async (t) => {
  t.strictSame(errors('hosts:\n  - name: a\n    ssh: a\n  - name: a\n    ssh: b\n'), [
    "hosts.yaml:4: hosts[1].name: 'a' is already the name of hosts[0] (line 2); give each host its own name.",
  ]);
  t.strictSame(errors('hosts:\n  - name: a\n    slots: 0\n  - name: a\n    ssh: b\n'), [
    "hosts.yaml:2: hosts[0]: host 'a' needs ssh: <destination> or slurm: {partition: …}; only 'local' is the coordinator's own machine.",
    "hosts.yaml:4: hosts[1].name: 'a' is already the name of hosts[0] (line 2); give each host its own name.",
  ], 'also when the first of them has mistakes of its own');
});

t.test('the file as a whole: empty, not a map, no hosts, YAML syntax', async (t) => {
  t.strictSame(errors(''), ['hosts.yaml:1: the file is empty; write hosts: followed by a list of hosts, one per machine.']);
  t.strictSame(errors('# nothing but a comment\n'), ['hosts.yaml:1: the file is empty; write hosts: followed by a list of hosts, one per machine.']);
  t.strictSame(errors('- name: a\n'), ['hosts.yaml:1: must be a map with the key hosts, not a list.']);
  t.strictSame(errors('host:\n  - name: a\n'), [
    "hosts.yaml:1: host: unknown key; did you mean 'hosts'?",
    'hosts.yaml:1: hosts: is missing; write hosts: followed by a list of hosts, one per machine.',
  ]);
  t.strictSame(errors('hosts: h1\n'), ["hosts.yaml:1: hosts: must be a list of hosts, each a map with a name, not 'h1'."]);
  t.strictSame(errors('hosts:\n  - name: a\n    ssh: a\n  - name: b\n   ssh: b\n'), [
    'hosts.yaml:5: YAML syntax: Sequence item without - indicator (column 1).',
  ], 'a line indented wrong (the words are the YAML library\'s)');
  t.strictSame(errors('hosts:\n  - name: a\n    tags: [gpu\n'), [
    'hosts.yaml:3: YAML syntax: Flow sequence in block collection must be sufficiently indented and end with a ] (at the end of the file).',
  ], 'an unclosed list: reported on the last line of the file');
  t.strictSame(errors('hosts:\n  - name: a\n    ssh: a\n    ssh: b\n'), ['hosts.yaml:4: YAML syntax: Map keys must be unique (column 5).']);
  t.match(errors('hosts: [\n')[0], /^hosts\.yaml:1: YAML syntax: .+ \(at the end of the file\)\.$/, 'an unclosed flow list: its line, at the end');
});

t.test('aliases resolve, and too many are refused', async (t) => {
  t.strictSame(errors('gpu: &gpu [gpu, cuda]\nhosts:\n  - {name: a, ssh: a, tags: *gpu}\n'), ['hosts.yaml:1: gpu: unknown key; the keys here are hosts.'], 'extra top-level keys are still unknown');
  const shared = hosts('hosts:\n  - {name: a, ssh: a, tags: &tg [x, y]}\n  - name: b\n    ssh: b\n    tags: *tg\n    slots: &n 3\n  - {name: c, ssh: c, slots: *n}\n');
  t.strictSame(shared.map((h) => [h.name, h.tags, h.slots]), [['local', [], null], ['a', ['x', 'y'], null], ['b', ['x', 'y'], 3], ['c', [], 3]]);
  const many = `hosts:\n  - name: a\n    ssh: &d a\n    ssh_options: [${Array.from({ length: 1001 }, () => '*d').join(', ')}]\n`;
  t.strictSame(errors(many), ['hosts.yaml:4: hosts[0].ssh_options[1000]: more than 1000 aliases in one file; write the values out.', "hosts.yaml:4: hosts[0].ssh_options[1000]: must be ssh arguments such as [-F, /path/to/ssh_config], not nothing."]);
});
