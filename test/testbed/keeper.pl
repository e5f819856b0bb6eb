#!/usr/bin/perl
# The test bed's keeper: runs up.sh's body under a long-lived subreaper, so that every daemon
# the body starts (munged, slurmctld, each host's namespaces) is reaped when down.sh kills it,
# instead of lingering as a zombie of this machine's PID 1, which reaps nothing. The caller
# gets the body's output and exit status; the keeper ends by itself when its last child is gone.
# usage: keeper.pl PIDFILE LOGFILE -- COMMAND ARGV...
use strict;
use warnings;
use POSIX ();

my ($pidfile, $logfile, $dashes, @cmd) = @ARGV;
die "usage: keeper.pl PIDFILE LOGFILE -- COMMAND ARGV...\n"
  unless defined $dashes && $dashes eq '--' && @cmd;
my $PR_SET_CHILD_SUBREAPER = 36;

pipe(my $from_keeper, my $to_caller) or die "keeper: pipe: $!\n";
my $keeper = fork() // die "keeper: fork: $!\n";
if ($keeper) {
  # The caller: forwards INT/TERM to the body, then exits with the body's status.
  close $to_caller;
  my $body = <$from_keeper>;
  chomp($body) if defined $body;
  local $SIG{INT} = local $SIG{TERM} = sub { kill 'TERM', $body if $body };
  my $status = <$from_keeper>;
  exit(defined $status ? int($status) : 1);
}

close $from_keeper;
POSIX::setsid();
require 'syscall.ph';
syscall(&SYS_prctl, $PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
  or die "keeper: prctl(PR_SET_CHILD_SUBREAPER): $!\n";
my $body = fork() // die "keeper: fork: $!\n";
if ($body == 0) {
  close $to_caller;
  exec { $cmd[0] } @cmd or die "keeper: cannot run $cmd[0]: $!\n";
}
$to_caller->autoflush(1);
print $to_caller "$body\n";
open(my $pf, '>', $pidfile) or die "keeper: $pidfile: $!\n";
print $pf "$$\n";
close $pf;
open(STDIN, '<', '/dev/null');
open(STDOUT, '>>', $logfile) or open(STDOUT, '>', '/dev/null');
open(STDERR, '>&', \*STDOUT);

for (;;) {
  my $pid = waitpid(-1, 0);
  last if $pid == -1;   # no child left: the test bed is down
  if ($pid == $body) {
    my $st = $? & 127 ? 128 + ($? & 127) : $? >> 8;
    print $to_caller "$st\n";
    close $to_caller;
  }
}
unlink $pidfile;
exit 0;
