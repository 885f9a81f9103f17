/** The checks synth runs before writing: each rule on small fixtures, then on a real chart broken on purpose. */
import './validation/rules';
import './validation/chart';
