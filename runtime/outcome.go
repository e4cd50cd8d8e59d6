package runtime

// ending is how a guest call ended, as Call observed it: the facts its
// outcome is decided from.
type ending struct {
	op string
	// failed is the run's failure, translated; nil when the guest returned
	// or exited with code 0.
	failed error
	// exited is set when the guest exited with code 0: its instance is closed.
	exited bool
	// ret is the export's return value, when it returned.
	ret int32
	// output is what the guest set with output_set; outputSet says whether
	// it did.
	output    []byte
	outputSet bool
	// memRefused is set when a memory.grow past the limit was refused.
	memRefused bool
	// memSize is the guest memory's size at the end; memLimit its limit.
	memSize, memLimit int64
}

// outcome is what Call makes of an ending.
type outcome struct {
	output []byte  // the guest's output, when it returned or exited with 0
	answer *Answer // output parsed; nil when err is set
	err    error   // a *CallError, or nil
	keep   bool    // the instance can serve another call
}

// decide returns the outcome of a call that ended as e says. A call fails
// with its translated failure, a non-zero return (the instance is kept:
// the guest chose to fail), a missing or malformed answer, a refused
// memory.grow (whatever the guest did next, unless it then ran out of time
// or fuel) or a memory grown past the limit. Only an instance that
// returned a valid answer, or non-zero, within its memory limit is kept.
func (e ending) decide() outcome {
	var o outcome
	switch {
	case e.failed != nil:
		o.err = e.failed
	case !e.exited && e.ret != 0:
		o.err = callErrorf(KindScriptFailed, "%s returned %d", e.op, e.ret)
		o.keep = true
	case !e.outputSet:
		o.err = callErrorf(KindBadOutput, "%s returned 0 without calling output_set", e.op)
	default:
		o.output = e.output
		ans, err := ParseOutput(e.op, e.output)
		if err != nil {
			o.err = callErrorf(KindBadOutput, "%v", err)
			break
		}
		o.answer = ans
		o.keep = !e.exited
	}
	if e.memRefused {
		o.keep = false
		if k := ErrorKind(o.err); k != KindDeadline && k != KindOutOfFuel {
			what := "the module then answered"
			if o.err != nil {
				what = "then " + o.err.Error()
			}
			o.err = callErrorf(KindLimit, "memory limit of %d MiB reached: memory.grow was refused, %s", e.memLimit>>20, what)
		}
	}
	if e.memSize > e.memLimit {
		o.keep = false
		if o.err == nil {
			o.err = callErrorf(KindLimit, "memory grew to %d MiB, above the limit of %d MiB", e.memSize>>20, e.memLimit>>20)
		}
	}
	if o.err != nil {
		o.answer = nil
	}
	return o
}
