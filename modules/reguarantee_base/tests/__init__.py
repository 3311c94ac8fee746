# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
from .guard import WorkflowGuardTestMixin
from .translation import ZhCNTranslationTestMixin
from .work import WorkTestMixin

__all__ = [
    'WorkTestMixin', 'WorkflowGuardTestMixin', 'ZhCNTranslationTestMixin']
